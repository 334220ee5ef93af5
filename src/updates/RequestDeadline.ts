import type { Clock, Timer } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";

/**
 * The signal one HTTP request runs under: aborted when `ms` pass on `clock` or when the
 * caller's `signal` fires, whichever is first, and which of the two it was. Dispose it when the
 * request (its body included) is done, to release the timer and the listener.
 */
export class RequestDeadline implements Disposable {
  private readonly controller = new AbortController();
  private readonly timer: Timer;
  private expired = false;
  private readonly onAbort = (): void => this.controller.abort(this.outer?.reason);

  constructor(
    clock: Clock,
    readonly ms: number,
    private readonly outer?: AbortSignal,
  ) {
    this.timer = clock.setTimeout(() => {
      this.expired = true;
      this.controller.abort(new Error(`no answer within ${ms} ms`));
    }, ms);
    if (outer?.aborted) this.onAbort();
    else outer?.addEventListener("abort", this.onAbort, { once: true });
  }

  /** Aborted at the deadline or with the caller's signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True when the deadline passed (as opposed to the caller cancelling). */
  get timedOut(): boolean {
    return this.expired && this.outer?.aborted !== true;
  }

  /** True when the caller's signal fired. */
  get cancelled(): boolean {
    return this.outer?.aborted === true;
  }

  /** Stops the request if it is still running (a body nobody reads any more). */
  abort(): void {
    this.controller.abort(new Error("the request was given up"));
  }

  dispose(): void {
    this.timer.dispose();
    this.outer?.removeEventListener("abort", this.onAbort);
  }
}
