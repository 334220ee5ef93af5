import type { Clock } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";
import { abortError } from "../common/abort.js";

/**
 * The time limit of one phase. The AbortController is created only when someone reads
 * `signal`, and the timer only when the phase goes asynchronous: a synchronous hook costs
 * neither (starting 1,000 modules must stay cheaper than avvio).
 */
export class Deadline {
  private controller: AbortController | undefined;

  /** Aborted when the phase times out or its caller cancels. */
  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  /** Aborts the signal (if anyone holds it) with `reason`. */
  abort(reason: unknown): void {
    this.controller?.abort(reason);
  }
}

/** Options for {@link settle}. */
export interface SettleOptions {
  clock: Clock;
  /** Limit in ms; `Infinity` for none. */
  ms: number;
  /** The caller's cancellation. */
  signal: AbortSignal | undefined;
  /** Builds the timeout error. */
  onTimeout: () => Error;
  /** Wraps a rejection of the phase. */
  onError: (err: unknown) => unknown;
  what: string;
  module: string;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/**
 * Waits for what a phase returned: nothing to do for a plain value; for a promise, races it
 * against the deadline and the caller's signal, aborting `deadline` on either.
 */
export function settle(value: unknown, deadline: Deadline, options: SettleOptions): void | Promise<void> {
  if (!isThenable(value)) return;
  const { clock, ms, signal, onTimeout, onError, what, module } = options;
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let timer: Disposable | undefined;
    const finish = (failed: boolean, err?: unknown) => {
      if (done) return;
      done = true;
      timer?.dispose();
      signal?.removeEventListener("abort", onAbort);
      // The rejection is whatever the phase failed with (already wrapped by `onError`).
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      if (failed) reject(err);
      else resolve();
    };
    const fail = (err: unknown) => {
      deadline.abort(err);
      finish(true, err);
    };
    const onAbort = () => fail(abortError(signal!, what, module));
    // Handlers go on `value` first: a phase abandoned (aborted, timed out) may still reject later.
    value.then(
      () => finish(false),
      (err: unknown) => finish(true, onError(err)),
    );
    if (signal?.aborted) return onAbort();
    if (Number.isFinite(ms)) timer = clock.setTimeout(() => fail(onTimeout()), ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
