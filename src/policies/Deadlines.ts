import type { Clock, Timer } from "../common/Clock.js";

/** One pending deadline; `cancel()` once the work finished in time (cheap, and harmless twice). */
export interface Deadline {
  cancel(): void;
}

/** What a deadline tells when it expires: a function, or an object with `onDeadline` (no closure per call). */
export type DeadlineTarget = (() => void) | { onDeadline(): void };

class Entry implements Deadline {
  done = false;
  constructor(
    readonly at: number,
    // Never cleared on cancel: writing the field again made every call through the pipeline
    // about 1 µs slower in the benchmark (measured; somewhere in V8's optimisation of the call
    // path), and cancelled entries leave the queue soon anyway (see trim).
    private readonly target: DeadlineTarget,
    private readonly queue: Queue,
    private readonly owner: Deadlines,
  ) {}

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.queue.dead++;
    this.owner.cancelled();
  }

  /** The deadline passed: tells its target (called by {@link Deadlines} only). */
  expire(): void {
    this.done = true;
    const target = this.target;
    if (typeof target === "function") target();
    else target.onDeadline();
  }
}

/** The deadlines of one duration: added in time order, so `at` never decreases along the queue. */
class Queue {
  items: Entry[] = [];
  head = 0;
  /** Cancelled entries still in `items` after `head`. */
  dead = 0;

  /**
   * Drops finished entries at the front; and when cancelled ones behind a long-lived entry (a
   * hung call) outnumber the live ones, drops those too, so the queue holds about what is pending.
   */
  trim(): void {
    const items = this.items;
    while (this.head < items.length && items[this.head]!.done) {
      this.head++;
      this.dead = Math.max(0, this.dead - 1);
    }
    if (this.head === items.length) {
      this.items = [];
      this.head = 0;
      this.dead = 0;
    } else if (this.dead > 1024 && this.dead * 2 > items.length - this.head) {
      this.items = items.slice(this.head).filter((e) => !e.done);
      this.head = 0;
      this.dead = 0;
    } else if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
  }

  first(): Entry | undefined {
    return this.items[this.head];
  }
}

/**
 * Every call deadline of a runtime behind one timer. A timer and an AbortController per call
 * cost more than the call itself (cockatiel's timeout adds ~15 µs on the benchmark machine);
 * here a deadline is an object pushed on a queue per duration, and a single timer is armed
 * for the earliest one. Deadlines of one duration expire in the order they were added, so
 * each queue stays sorted without a heap; a cancelled deadline is dropped when it reaches the
 * front, or sooner when many pile up behind one that stays. With no deadline pending, the timer
 * keeps no process alive.
 */
export class Deadlines {
  private readonly queues = new Map<number, Queue>();
  private timer: Timer | undefined;
  private armedAt = Infinity;
  private live = 0;

  constructor(private readonly clock: Clock) {}

  /**
   * Tells `target` once `ms` milliseconds have passed since `now` (default: the clock's now; a
   * caller that has just read the clock passes its reading), unless cancelled first.
   */
  add(ms: number, target: DeadlineTarget, now: number = this.clock.now()): Deadline {
    let queue = this.queues.get(ms);
    if (queue === undefined) this.queues.set(ms, (queue = new Queue()));
    else queue.trim();
    // A queue stays in time order: a reading taken a moment before the last entry's does not jump it.
    const items = queue.items;
    let at = now + ms;
    if (items.length > 0) {
      const last = items[items.length - 1]!.at;
      if (last > at) at = last;
    }
    const entry = new Entry(at, target, queue, this);
    queue.items.push(entry);
    if (this.live++ === 0) this.timer?.keepAlive(true);
    if (entry.at < this.armedAt) this.arm(entry.at);
    return entry;
  }

  /** Deadlines not yet expired nor cancelled (for tests and leak checks). */
  get pending(): number {
    return this.live;
  }

  /** Cancels the timer; pending deadlines never fire (the runtime is closing). */
  dispose(): void {
    this.disarm();
    this.queues.clear();
    this.live = 0;
  }

  /**
   * Told by an entry that was cancelled. With none left, the timer stays (a call a moment later
   * would arm a new one: a timer per call is what this class avoids) but lets the process exit.
   */
  cancelled(): void {
    if (--this.live === 0) this.timer?.keepAlive(false);
  }

  private disarm(): void {
    this.timer?.dispose();
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private arm(at: number): void {
    this.timer?.dispose();
    this.armedAt = at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
    if (this.live === 0) this.timer.keepAlive(false);
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.clock.now();
    const due: Entry[] = [];
    let next = Infinity;
    for (const [ms, queue] of this.queues) {
      queue.trim();
      let entry = queue.first();
      while (entry !== undefined && entry.at <= now) {
        queue.head++;
        if (!entry.done) due.push(entry);
        else queue.dead = Math.max(0, queue.dead - 1);
        queue.trim();
        entry = queue.first();
      }
      if (entry === undefined) this.queues.delete(ms);
      else if (entry.at < next) next = entry.at;
    }
    if (next !== Infinity) this.arm(next);
    for (const entry of due) {
      if (entry.done) continue; // cancelled by the handler of one that fell due with it
      this.live--;
      entry.expire();
    }
  }
}
