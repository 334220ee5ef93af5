import type { Clock, Timer } from "../../common/Clock.js";

/**
 * A WebAssembly engine's per-call time limit, kept from outside: a wasm function runs
 * synchronously and nothing in its own thread can stop it, so the host ends the child when one
 * call runs too long. The child runs its calls one after another in the order they were sent, so
 * only the oldest unanswered call is running; its time counts from when it was sent, or from the
 * answer to the call before it (when it started running), whichever is later. A call queued
 * behind a slow one is not charged for the wait.
 *
 * Calls are tracked by the child's answers (not by their promises): a call its caller gave up on
 * still runs in the child until it answers.
 */
export class CallTimeLimit {
  /** Unanswered calls, oldest first: request id and method. */
  private readonly queue: Array<{ id: number; method: string }> = [];
  private timer: Timer | undefined;

  /**
   * @param limitMs the most one call may run, in ms.
   * @param onOverrun told once when the oldest call, `method`, has run `limitMs`; the owner ends the child.
   */
  constructor(
    private readonly clock: Clock,
    readonly limitMs: number,
    private readonly onOverrun: (method: string) => void,
  ) {}

  /** Call `id` of `method` was sent to the child. */
  sent(id: number, method: string): void {
    this.queue.push({ id, method });
    if (this.queue.length === 1) this.arm();
  }

  /** The child answered request `id` (or it never reached the child); not a tracked call: nothing. */
  answered(id: number): void {
    const at = this.queue.findIndex((c) => c.id === id);
    if (at < 0) return;
    this.queue.splice(at, 1);
    if (at !== 0) return;
    this.timer?.dispose();
    this.timer = undefined;
    if (this.queue.length > 0) this.arm();
  }

  /** Forgets every call (the child is gone). */
  clear(): void {
    this.timer?.dispose();
    this.timer = undefined;
    this.queue.length = 0;
  }

  private arm(): void {
    const head = this.queue[0]!;
    // Background: the pending call itself keeps the process alive while it waits.
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        if (this.queue[0] === head) this.onOverrun(head.method);
      },
      this.limitMs,
      { background: true },
    );
  }
}
