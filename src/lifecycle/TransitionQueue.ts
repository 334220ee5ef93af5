/** One subject's queue: what runs or waits for it, and the work shared by key. */
interface Flight {
  /** Work registered under a key, shared by concurrent requests for the same thing. */
  pending: Map<string, Promise<void>> | undefined;
  /** Settles when everything queued so far has settled; undefined when the instance is idle. */
  tail: Promise<void> | undefined;
  /** True while a step of this instance is executing synchronously (re-entrancy guard). */
  syncing: boolean;
  /** The key of the work queued last: only that one may be shared (see schedule). */
  last: string | undefined;
}

/** What a call that finished synchronously returns to callers that need a promise. */
export const DONE: Promise<void> = Promise.resolve();

/**
 * The lifecycle runner's queue per subject: one transition at a time (later requests wait
 * behind the running one), concurrent requests for the same thing share one promise, and work
 * on an idle subject runs at once, returning nothing when it finished synchronously, so that
 * 1,000 modules whose hooks answer synchronously start without a promise each.
 */
export class TransitionQueue<S extends object> {
  private readonly flights = new WeakMap<S, Flight>();

  /** Settles once nothing is running or queued for `subject` (failures included). */
  async idle(subject: S): Promise<void> {
    for (let tail = this.flights.get(subject)?.tail; tail; tail = this.flights.get(subject)?.tail) await tail;
  }

  /** True while a transition of `subject` is running or queued. */
  isBusy(subject: S): boolean {
    const flight = this.flights.get(subject);
    return flight !== undefined && (flight.tail !== undefined || flight.syncing);
  }

  /**
   * Runs `work` for `subject`: at once when the instance is idle (returning nothing if it
   * finished synchronously), else after what is queued. Requests with the same `key` share one
   * promise while it is pending.
   */
  schedule(subject: S, key: string, work: () => void | Promise<void>): void | Promise<void> {
    let flight = this.flights.get(subject);
    if (!flight)
      this.flights.set(
        subject,
        (flight = { pending: undefined, tail: undefined, syncing: false, last: undefined }),
      );
    const f = flight;
    // Share a pending request only if nothing else was queued after it: `start; stop; start`
    // must run three transitions, not two with the last start answered by the first.
    const shared = f.last === key ? f.pending?.get(key) : undefined;
    if (shared) return shared;
    // Called from inside a synchronous step of the same instance (a hook acting on its own
    // module): wait a turn, until that step has finished or registered its continuation.
    if (f.syncing) return DONE.then(() => this.schedule(subject, key, work));
    if (f.tail !== undefined) return this.track(f, key, f.tail.then(work));
    let result: void | Promise<void>;
    f.syncing = true;
    try {
      result = work();
    } catch (err) {
      // A synchronous throw (an invalid transition) becomes the caller's rejection, as before.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(err);
    } finally {
      f.syncing = false;
    }
    return result ? this.track(f, key, result) : undefined;
  }

  private track(f: Flight, key: string, promise: Promise<void>): Promise<void> {
    (f.pending ??= new Map()).set(key, promise);
    f.last = key;
    const done = () => {
      if (f.pending?.get(key) === promise) f.pending.delete(key);
      if (f.tail === tail) {
        f.tail = undefined;
        f.last = undefined;
      }
    };
    const tail: Promise<void> = promise.then(done, done);
    f.tail = tail;
    return promise;
  }
}
