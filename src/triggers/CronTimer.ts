import type { Clock, Timer } from "../common/Clock.js";
import type { CronSchedule } from "./CronSchedule.js";

/**
 * The longest the timer sleeps at once, in ms. Timers run on monotonic time, which stands still
 * while the machine sleeps: waking every minute notices a wall-clock jump within a minute.
 */
export const CRON_MAX_SLEEP_MS = 60_000;

/** How late a tick may fire, in ms (a busy event loop, a slow wake); a later one is missed. */
export const CRON_LATE_LIMIT_MS = 60_000;

/** The most missed ticks counted one by one after a jump of the clock; more are reported as this many. */
const MAX_COUNTED = 10_000;

/** What a {@link CronTimer} tells. */
export interface CronTarget {
  /** The tick at `tickMs` (ms since the epoch) is due: run it. Called once per tick at most. */
  fire(tickMs: number): void;
  /** `count` ticks from `firstMs` to `lastMs` passed while nobody could run them: they are not run. */
  missed(firstMs: number, lastMs: number, count: number): void;
}

/**
 * Waits for the ticks of one schedule on the runtime's clock (so tests move time) and fires each
 * once. A tick is never fired twice, even when the wall clock goes back; ticks the clock jumped
 * past (the host was asleep or busy) are reported as missed and not replayed: when several are
 * due at a wake, only the newest may fire, and only if it is at most {@link CRON_LATE_LIMIT_MS} late.
 */
export class CronTimer {
  private timer: Timer | undefined;
  /** Every tick up to this one (ms since the epoch) was fired or reported missed. */
  private settledUpTo = 0;
  private upcoming: number | undefined;
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly schedule: CronSchedule,
    private readonly target: CronTarget,
  ) {}

  /** The next tick to fire (ms since the epoch), or undefined when stopped or none is left. */
  get nextRun(): number | undefined {
    return this.running ? this.upcoming : undefined;
  }

  /** Starts waiting for the first tick after now. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.settledUpTo = Math.max(this.settledUpTo, this.clock.wallNow());
    this.arm();
  }

  /** Stops waiting; a tick that is due while stopped is not fired. */
  stop(): void {
    this.running = false;
    this.timer?.dispose();
    this.timer = undefined;
  }

  private arm(): void {
    this.upcoming = this.schedule.next(this.settledUpTo);
    if (this.upcoming === undefined || !this.running) return;
    const delay = Math.min(Math.max(0, this.upcoming - this.clock.wallNow()), CRON_MAX_SLEEP_MS);
    // In the background: a schedule does not keep a process alive on its own (the host does).
    this.timer = this.clock.setTimeout(() => this.wake(), delay, { background: true });
  }

  private wake(): void {
    this.timer = undefined;
    if (!this.running) return;
    const now = this.clock.wallNow();
    const first = this.upcoming;
    if (first === undefined || first > now) return this.arm(); // woke to look, or the clock went back
    // Every tick from `first` to now is due: the newest may fire, the others were missed.
    const newest = Math.max(first, this.schedule.previous(now + 1) ?? first);
    const onTime = now - newest <= CRON_LATE_LIMIT_MS;
    const lastMissed = onTime ? this.schedule.previous(newest) : newest;
    this.settledUpTo = newest;
    if (lastMissed !== undefined && lastMissed >= first)
      this.target.missed(first, lastMissed, this.count(first, lastMissed));
    if (onTime) this.target.fire(newest);
    this.arm();
  }

  /** How many ticks there are from `first` to `last` (both ticks), counted up to {@link MAX_COUNTED}. */
  private count(first: number, last: number): number {
    let n = 1;
    for (
      let t = this.schedule.next(first);
      t !== undefined && t <= last && n < MAX_COUNTED;
      t = this.schedule.next(t)
    )
      n++;
    return n;
  }
}
