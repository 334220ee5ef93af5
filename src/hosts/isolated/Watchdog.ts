import type { Clock } from "../../common/Clock.js";
import type { Disposable } from "../../common/Disposable.js";

/** How much silence makes a hang, as Kubernetes probes put it: a timeout and a failure threshold. */
export interface HangTolerance {
  /** One window, in ms: a window without any message from the child is a missed one. 0 or Infinity disables the watchdog. */
  timeoutMs: number;
  /** Consecutive missed windows that make a hang (an integer, at least 1). */
  failureThreshold: number;
}

/**
 * Tells when a child has gone silent: no message (heartbeat or other) in `failureThreshold`
 * consecutive windows of `timeoutMs`. Messages are counted, not timed (`messages++` costs no
 * clock read on the call path); one background timer per host checks the count every quarter of
 * the timeout, so a hang is reported between `timeoutMs × failureThreshold` and a quarter of
 * `timeoutMs` more after the last message. A window in which this thread was itself blocked
 * (its check came late: the child's messages may be queued unread) is not counted as missed.
 */
export class Watchdog {
  /** Incremented by the owner for every message from the child. */
  messages = 0;
  private readonly period: number;
  private seenAtCheck = 0;
  /** When the child last showed a sign of life (or watching started), in clock ms. */
  private lastSign = 0;
  /** When the current window opened, in clock ms. */
  private windowStart = 0;
  private missed = 0;
  private lastTick = 0;
  private timer: Disposable | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly tolerance: HangTolerance,
    /** Called once when the child has been silent too long, with the silence in ms. */
    private readonly onHang: (silentMs: number) => void,
  ) {
    this.period = Math.max(1, tolerance.timeoutMs / 4);
  }

  /** Starts watching (the silence counts from now). */
  start(): void {
    this.stop();
    if (!(this.tolerance.timeoutMs > 0 && Number.isFinite(this.tolerance.timeoutMs))) return;
    const now = this.clock.now();
    this.lastSign = now;
    this.windowStart = now;
    this.lastTick = now;
    this.missed = 0;
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
    const late = now - this.lastTick > 2 * this.period;
    this.lastTick = now;
    const { timeoutMs, failureThreshold } = this.tolerance;
    if (this.messages !== this.seenAtCheck) {
      this.seenAtCheck = this.messages;
      this.lastSign = now;
      this.windowStart = now;
      this.missed = 0;
    } else if (late) {
      this.windowStart = now;
    } else if (now - this.windowStart >= timeoutMs) {
      this.missed++;
      this.windowStart += timeoutMs;
      if (this.missed >= failureThreshold) {
        this.timer = undefined;
        this.onHang(now - this.lastSign);
        return;
      }
    }
    this.arm();
  };
}
