import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Clock } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";

/** Bounds on calls that wait while a module is paused. */
export interface IntakeLimits {
  /** Most calls allowed to wait at once; more are refused at once. Default 1000. */
  maxWaiting: number;
  /** Longest a call waits for `resume`, in ms. Default 30 000. */
  maxWaitMs: number;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
  timer: Disposable;
}

/**
 * Counts in-flight calls of one instance and holds new ones while it is paused: `close()` stops
 * intake, `drained()` resolves when in-flight calls have finished, `open()` releases the waiters,
 * `fail(err)` rejects them (the module stopped instead of resuming).
 */
export class IntakeGate {
  private inflight = 0;
  /** Bumped when the calls in flight are given up for good (the module crashed under them). */
  private epoch = 0;
  private closed = false;
  // Made on first use: most instances never pause, and a runtime may hold thousands.
  private waiters: Set<Waiter> | undefined;
  private drainWaiters: Array<() => void> | undefined;

  constructor(
    private readonly module: string,
    private readonly clock: Clock,
    private readonly limits: IntakeLimits,
  ) {}

  /** True while new calls pass straight through. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** Calls currently running inside the module. */
  get inFlight(): number {
    return this.inflight;
  }

  /** Calls currently waiting for the gate to open. */
  get waiting(): number {
    return this.waiters?.size ?? 0;
  }

  /**
   * Marks a call as started (the caller checked {@link isOpen} or awaited {@link wait}); answers
   * the token to give {@link leave} when it finishes.
   */
  enter(): number {
    this.inflight++;
    return this.epoch;
  }

  /** Marks the call that entered with `token` as finished (a call given up by {@link abandon} is not counted twice). */
  leave(token: number): void {
    if (token === this.epoch && --this.inflight === 0) this.drained_();
  }

  /**
   * Gives up every call in flight: the module crashed under them, so they may never finish.
   * Whoever waits for the gate to drain (a stop) goes on; their late ends are ignored.
   */
  abandon(): void {
    this.epoch++;
    if (this.inflight === 0) return;
    this.inflight = 0;
    this.drained_();
  }

  private drained_(): void {
    if (this.drainWaiters === undefined) return;
    const list = this.drainWaiters;
    this.drainWaiters = undefined;
    for (const fn of list) fn();
  }

  /** Waits until the gate opens, bounded by the limits; rejects with `CHIP_ERR_MODULE_PAUSED`. */
  wait(): Promise<void> {
    if (!this.closed) return Promise.resolve();
    const waiters = (this.waiters ??= new Set());
    if (waiters.size >= this.limits.maxWaiting) {
      return Promise.reject(
        new ChipsetError(
          ErrorCodes.MODULE_PAUSED,
          `${this.module} is paused and ${this.limits.maxWaiting} calls are already waiting; resume it or retry later`,
          { module: this.module, details: { reason: "queue-full", maxWaiting: this.limits.maxWaiting } },
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new ChipsetError(
              ErrorCodes.MODULE_PAUSED,
              `${this.module} stayed paused for ${this.limits.maxWaitMs} ms while a call waited; resume it or retry later`,
              { module: this.module, details: { reason: "wait-timeout", maxWaitMs: this.limits.maxWaitMs } },
            ),
          );
        }, this.limits.maxWaitMs),
      };
      waiters.add(waiter);
    });
  }

  /** Stops intake: new calls wait. */
  close(): void {
    this.closed = true;
  }

  /** Resolves once no call is in flight. */
  drained(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drainWaiters ??= []).push(resolve));
  }

  /** Reopens intake and releases every waiting call. */
  open(): void {
    this.closed = false;
    const waiters = this.waiters;
    this.waiters = undefined;
    for (const w of waiters ?? []) {
      w.timer.dispose();
      w.resolve();
    }
  }

  /** Rejects every waiting call with `err` (intake stays closed). */
  fail(err: unknown): void {
    const waiters = this.waiters;
    this.waiters = undefined;
    for (const w of waiters ?? []) {
      w.timer.dispose();
      w.reject(err);
    }
  }
}
