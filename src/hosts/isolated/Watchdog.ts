import type { Clock } from "../../common/Clock.js";
import type { Disposable } from "../../common/Disposable.js";

/**
 * Tells when a child has gone silent: no message (heartbeat or other) for `timeoutMs`.
 * Messages are counted, not timed (`messages++` costs no clock read on the call path); one
 * background timer per host checks the count every quarter of the timeout, so a hang is
 * reported between 1 and 1.5 times `timeoutMs` after the last message.
 */
export class Watchdog {
  /** Incremented by the owner for every message from the child. */
  messages = 0;
  private readonly period: number;
  private seenAtCheck = 0;
  private lastSign = 0;
  private lastTick = 0;
  private timer: Disposable | undefined;

  constructor(
    private readonly clock: Clock,
    /** Silence that counts as a hang, in ms; 0 or Infinity disables the watchdog. */
    private readonly timeoutMs: number,
    /** Called once when the child has been silent too long, with the silence in ms. */
    private readonly onHang: (silentMs: number) => void,
  ) {
    this.period = Math.max(1, timeoutMs / 4);
  }

  /** Starts watching (the silence counts from now). */
  start(): void {
    this.stop();
    if (!(this.timeoutMs > 0 && Number.isFinite(this.timeoutMs))) return;
    const now = this.clock.now();
    this.lastSign = now;
    this.lastTick = now;
    this.seenAtCheck = this.messages;
    this.arm();
  }

  /** Stops watching. */
  stop(): void {
    this.timer?.dispose();
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(this.check, this.period, { background: true });
  }

  private readonly check = (): void => {
    const now = this.clock.now();
    // A tick that comes late means this thread was blocked: the child's messages may be
    // queued unread, so it gets a fresh window rather than the blame.
    const late = now - this.lastTick > 2 * this.period;
    this.lastTick = now;
    if (late || this.messages !== this.seenAtCheck) {
      this.seenAtCheck = this.messages;
      this.lastSign = now;
    } else if (now - this.lastSign >= this.timeoutMs) {
      this.timer = undefined;
      this.onHang(now - this.lastSign);
      return;
    }
    this.arm();
  };
}
