import type { BulkheadSettings } from "./CallsConfig.js";

/** A place in a bulkhead's queue; `cancel()` gives it up (the caller aborted while waiting). */
export interface BulkheadTicket {
  cancel(): void;
}

class Waiter implements BulkheadTicket {
  cancelled = false;
  constructor(
    private readonly bulkhead: Bulkhead,
    readonly run: () => void,
  ) {}

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.bulkhead.dropped(this);
  }
}

/**
 * At most `maxConcurrent` calls at once, then at most `maxQueue` waiting in arrival order;
 * beyond that a call is refused at once (the caller answers `CHIP_ERR_BULKHEAD_FULL`). A
 * slot freed by `leave()` goes straight to the oldest waiter, so the limit holds at every moment.
 */
export class Bulkhead {
  private running = 0;
  private readonly queue: Waiter[] = [];
  private head = 0;
  private waiting = 0;
  /** True while `leave` hands slots on; `returned` counts the slots given back meanwhile. */
  private handing = false;
  private returned = 0;

  constructor(private current: BulkheadSettings) {}

  /** The limits in force. */
  get settings(): BulkheadSettings {
    return this.current;
  }

  /**
   * New limits for the calls from now on; the calls running and waiting stay counted. A larger
   * `maxConcurrent` lets waiters in at once; a smaller one lets no new call in until enough finish.
   */
  reconfigure(settings: BulkheadSettings): void {
    this.current = settings;
    while (this.running < settings.maxConcurrent && this.waiting > 0) {
      this.running++;
      this.leave(); // hands the new slot to the oldest waiter
    }
  }

  /** Calls holding a slot now. */
  get active(): number {
    return this.running;
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.waiting;
  }

  /** Takes a slot if one is free. */
  tryEnter(): boolean {
    if (this.running >= this.current.maxConcurrent) return false;
    this.running++;
    return true;
  }

  /**
   * Queues `run` to be called once it holds a slot, or answers undefined when the queue is full.
   * Call only after `tryEnter` said no.
   */
  enqueue(run: () => void): BulkheadTicket | undefined {
    if (this.waiting >= this.current.maxQueue) return undefined;
    const waiter = new Waiter(this, run);
    this.queue.push(waiter);
    this.waiting++;
    return waiter;
  }

  /** Gives back a slot: the oldest waiter takes it at once. */
  leave(): void {
    // A waiter's `run` may give its slot straight back (a module that answers synchronously):
    // that slot is handed on by this loop, not by recursing, or a long queue overflows the stack.
    if (this.handing) {
      this.returned++;
      return;
    }
    this.handing = true;
    let slots = 1;
    try {
      while (slots > 0) {
        slots--;
        const next = this.oldest();
        if (next === undefined) this.running--;
        else {
          this.waiting--;
          next.cancelled = true; // no cancel after it has run
          next.run(); // the slot passes to it: `running` stays the same
        }
        slots += this.returned;
        this.returned = 0;
      }
    } finally {
      this.handing = false;
    }
  }

  /** Takes the oldest waiter that did not give up off the queue. */
  private oldest(): Waiter | undefined {
    for (;;) {
      const next = this.queue[this.head];
      if (next === undefined) return undefined;
      this.queue[this.head++] = undefined as unknown as Waiter;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
      if (!next.cancelled) return next;
    }
  }

  /** Told by a waiter that gives up its place (its ticket was cancelled). */
  dropped(_waiter: Waiter): void {
    this.waiting--;
    // Cancelled waiters leave the array when they reach the front; if nothing frees a slot for
    // long (every call hung) while callers keep giving up, drop them here so it stays bounded.
    if (this.queue.length - this.head > 2 * this.waiting + 64) {
      const live = this.queue.slice(this.head).filter((w) => !w.cancelled);
      this.queue.length = 0;
      this.queue.push(...live);
      this.head = 0;
    }
  }
}
