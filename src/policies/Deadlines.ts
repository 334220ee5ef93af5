import type { Clock } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";

/** One pending deadline; `cancel()` once the work finished in time (cheap, and harmless twice). */
export interface Deadline {
  cancel(): void;
}

class Entry implements Deadline {
  done = false;
  constructor(
    readonly at: number,
    readonly onExpire: () => void,
  ) {}

  cancel(): void {
    this.done = true;
  }
}

/** The deadlines of one duration: added in time order, so `at` never decreases along the queue. */
class Queue {
  items: Entry[] = [];
  head = 0;

  /** Drops finished entries at the front; compacts once the dead prefix is large. */
  trim(): void {
    const items = this.items;
    while (this.head < items.length && items[this.head]!.done) this.head++;
    if (this.head === items.length) {
      this.items = [];
      this.head = 0;
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
 * front (calls mostly finish in order, so the queues stay short).
 */
export class Deadlines {
  private readonly queues = new Map<number, Queue>();
  private timer: Disposable | undefined;
  private armedAt = Infinity;

  constructor(private readonly clock: Clock) {}

  /** Calls `onExpire` once `ms` milliseconds have passed, unless cancelled first. */
  add(ms: number, onExpire: () => void): Deadline {
    const entry = new Entry(this.clock.now() + ms, onExpire);
    let queue = this.queues.get(ms);
    if (queue === undefined) this.queues.set(ms, (queue = new Queue()));
    else queue.trim();
    queue.items.push(entry);
    if (entry.at < this.armedAt) this.arm(entry.at);
    return entry;
  }

  /** Deadlines not yet expired nor cancelled (for tests and leak checks). */
  get pending(): number {
    let n = 0;
    for (const q of this.queues.values())
      for (let i = q.head; i < q.items.length; i++) if (!q.items[i]!.done) n++;
    return n;
  }

  /** Cancels the timer; pending deadlines never fire (the runtime is closing). */
  dispose(): void {
    this.timer?.dispose();
    this.timer = undefined;
    this.armedAt = Infinity;
    this.queues.clear();
  }

  private arm(at: number): void {
    this.timer?.dispose();
    this.armedAt = at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
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
        queue.trim();
        entry = queue.first();
      }
      if (entry === undefined) this.queues.delete(ms);
      else if (entry.at < next) next = entry.at;
    }
    if (next !== Infinity) this.arm(next);
    for (const entry of due) {
      if (entry.done) continue; // cancelled by the handler of one that fell due with it
      entry.done = true;
      entry.onExpire();
    }
  }
}
