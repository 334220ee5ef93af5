import { abortError } from "./abort.js";
import type { Clock } from "./Clock.js";
import type { Disposable } from "./Disposable.js";

/** A deadline for {@link race}. */
export interface RaceDeadline<T> {
  /** The clock the deadline runs on. */
  clock: Clock;
  /** The limit in ms; `Infinity` for none. */
  ms: number;
  /** What the race settles with at the deadline: return a value, or throw to reject. */
  onTimeout: () => T;
}

/** How {@link race} ends early: at a deadline (optional), or when a signal fires. */
export type RaceOptions<T> = RaceCancellation<T> & (RaceDeadline<T> | { ms?: undefined });

/** The cancellation side of {@link RaceOptions}. */
export interface RaceCancellation<T> {
  /** The caller's cancellation. */
  signal?: AbortSignal;
  /**
   * What the race settles with when `signal` fires: return a value, or throw to reject.
   * Default: reject with `CHIP_ERR_ABORTED` (`cause` = `signal.reason`) naming `what`.
   */
  onAbort?: (signal: AbortSignal) => T;
  /** Names the work in the default abort error ("the call of x.y()"). */
  what?: string;
  /** The module the work belongs to, for the default abort error. */
  module?: string;
  /** Maps a rejection of `work` to what the race rejects with (default: as it came). */
  onReject?: (err: unknown) => unknown;
  /**
   * Told once when the race ends before `work` (deadline or signal), with the error it rejects
   * with (or undefined when it resolves instead): the place to abort the work itself.
   */
  onGiveUp?: (reason: unknown) => void;
}

/**
 * The one timeout-and-cancellation helper: settles like `work`, unless the deadline passes or
 * `signal` fires first, in which case it settles as `onTimeout` / `onAbort` say and `onGiveUp`
 * is told (the work itself goes on unless `onGiveUp` stops it). A late settlement of `work` is
 * ignored, and a late rejection is never unhandled. The timer and the listener are released as
 * soon as the race is over.
 *
 * Call deadlines do not use it: one timer per call costs more than an inline call (see
 * policies/Deadlines.ts, which keeps every call deadline of a runtime behind one timer).
 */
export function race<T>(work: PromiseLike<T>, options: RaceOptions<T>): Promise<T> {
  const { signal } = options;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let timer: Disposable | undefined;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      timer?.dispose();
      signal?.removeEventListener("abort", onAbort);
      return true;
    };
    const giveUp = (settle: () => T): void => {
      if (!finish()) return;
      let value: T;
      try {
        value = settle();
      } catch (err) {
        options.onGiveUp?.(err);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- whatever onTimeout/onAbort threw
        return reject(err);
      }
      options.onGiveUp?.(undefined);
      resolve(value);
    };
    const onAbort = (): void =>
      giveUp(() => {
        if (options.onAbort) return options.onAbort(signal!);
        throw abortError(signal!, options.what ?? "the operation", options.module);
      });
    // Handlers go on `work` first: work given up on may still reject later, and must not go unhandled.
    work.then(
      (value) => {
        if (finish()) resolve(value);
      },
      (err: unknown) => {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passed on as it came, or as onReject maps it
        if (finish()) reject(options.onReject ? options.onReject(err) : err);
      },
    );
    if (signal?.aborted) return onAbort();
    if (options.ms !== undefined && Number.isFinite(options.ms)) {
      const onTimeout = options.onTimeout;
      timer = options.clock.setTimeout(() => giveUp(onTimeout), options.ms);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const never: Promise<never> = new Promise<never>(() => undefined);

/**
 * Resolves after `ms` milliseconds on `clock`, or at once when `signal` fires (never rejects:
 * the caller looks at the signal if it cares why).
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return race<void>(never, { clock, ms, signal, onTimeout: noop, onAbort: noop });
}

function noop(): void {}

/**
 * An AbortController made only when someone reads `signal`: an AbortSignal costs about 2 µs to
 * make on Node 20, and most hooks and phases never look at theirs.
 */
export class LazyAbort {
  private controller: AbortController | undefined;

  /** Aborted by {@link abort}. */
  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  /** Aborts the signal (if anyone holds it) with `reason`; harmless twice. */
  abort(reason: unknown): void {
    this.controller?.abort(reason);
  }
}
