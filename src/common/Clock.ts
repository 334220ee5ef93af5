import type { Disposable } from "./Disposable.js";

/** A pending timer: dispose to cancel it. */
export interface Timer extends Disposable {
  /**
   * Whether the timer keeps the process alive while it waits (a deadline nobody awaits any more
   * should not). Cheap: a flag, not a new timer.
   */
  keepAlive(on: boolean): void;
}

/** Time as the runtime sees it; injected so tests never sleep. */
export interface Clock {
  /** Milliseconds, monotonic, arbitrary origin. */
  now(): number;
  /** Milliseconds since the Unix epoch, for persisted timestamps. */
  wallNow(): number;
  /**
   * Runs `fn` after `ms` milliseconds; dispose to cancel. A deadline someone awaits keeps the
   * process alive (or `await` would end with the process instead of the timeout); pass
   * `{ background: true }` for housekeeping that must not (idle sweeps, preloading).
   */
  setTimeout(fn: () => void, ms: number, options?: { background?: boolean }): Timer;
}

/** The real clock (`performance.now`, `Date.now`; background timers are unref'd). */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout(fn, ms, options) {
    const handle = setTimeout(fn, ms);
    if (options?.background) handle.unref();
    return {
      dispose: () => clearTimeout(handle),
      keepAlive: (on) => void (on ? handle.ref() : handle.unref()),
    };
  },
};

/**
 * A clock that moves only when told to, for tests: `advance(ms)` fires due timers in order;
 * `sleep(ms)` moves the wall clock alone, as a machine that was asleep sees it.
 */
export class ManualClock implements Clock {
  private time = 0;
  private slept = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void; alive: boolean }>();

  constructor(private readonly epoch = 1_700_000_000_000) {}

  now(): number {
    return this.time;
  }

  wallNow(): number {
    return this.epoch + this.time + this.slept;
  }

  setTimeout(fn: () => void, ms: number, options?: { background?: boolean }): Timer {
    const id = ++this.seq;
    const timer = { at: this.time + Math.max(0, ms), fn, alive: options?.background !== true };
    this.timers.set(id, timer);
    return {
      dispose: () => this.timers.delete(id),
      keepAlive: (on) => void (timer.alive = on),
    };
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.timers.size;
  }

  /** Pending timers that would keep a real process alive (not background, not let go by `keepAlive(false)`). */
  get alive(): number {
    let n = 0;
    for (const t of this.timers.values()) if (t.alive) n++;
    return n;
  }

  /**
   * Moves the wall clock (`wallNow`) forward by `ms` while monotonic time (`now`) and the timers
   * stand still: what a process sees after the machine slept.
   */
  sleep(ms: number): void {
    this.slept += ms;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void; alive: boolean }] | undefined;
      for (const entry of this.timers)
        if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = target;
  }
}
