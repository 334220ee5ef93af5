import { describe, expect, it } from "vitest";
import { Bulkhead } from "./Bulkhead.js";

describe("Bulkhead", () => {
  it("lets maxConcurrent calls in and refuses the next", () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 2, maxQueue: 0 });
    expect(bulkhead.tryEnter()).toBe(true);
    expect(bulkhead.tryEnter()).toBe(true);
    expect(bulkhead.tryEnter()).toBe(false);
    expect(bulkhead.active).toBe(2);
  });

  it("frees a slot on leave when nobody waits", () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: 0 });
    bulkhead.tryEnter();
    bulkhead.leave();
    expect(bulkhead.active).toBe(0);
    expect(bulkhead.tryEnter()).toBe(true);
  });

  it("queues up to maxQueue callers, then refuses", () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: 2 });
    bulkhead.tryEnter();
    expect(bulkhead.enqueue(() => {})).toBeDefined();
    expect(bulkhead.enqueue(() => {})).toBeDefined();
    expect(bulkhead.enqueue(() => {})).toBeUndefined();
    expect(bulkhead.queued).toBe(2);
    expect(bulkhead.tryEnter()).toBe(false);
  });

  it("refuses to queue anyone with the default maxQueue of 0", () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: 0 });
    bulkhead.tryEnter();
    expect(bulkhead.enqueue(() => {})).toBeUndefined();
    expect(bulkhead.queued).toBe(0);
  });

  it("hands a freed slot to the oldest waiter, keeping the active count", () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: 3 });
    const ran: string[] = [];
    bulkhead.tryEnter();
    bulkhead.enqueue(() => ran.push("a"));
    bulkhead.enqueue(() => ran.push("b"));
    bulkhead.enqueue(() => ran.push("c"));
    bulkhead.leave();
    expect(ran).toEqual(["a"]);
    expect(bulkhead.active).toBe(1);
    expect(bulkhead.queued).toBe(2);
    bulkhead.leave();
    bulkhead.leave();
    expect(ran).toEqual(["a", "b", "c"]);
    expect(bulkhead.queued).toBe(0);
    expect(bulkhead.active).toBe(1);
    bulkhead.leave();
    expect(bulkhead.active).toBe(0);
  });

  it("skips cancelled waiters and gives their place in the queue back", () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: 2 });
    const ran: string[] = [];
    bulkhead.tryEnter();
    const a = bulkhead.enqueue(() => ran.push("a"))!;
    bulkhead.enqueue(() => ran.push("b"));
    a.cancel();
    expect(bulkhead.queued).toBe(1);
    expect(bulkhead.enqueue(() => ran.push("c"))).toBeDefined();
    bulkhead.leave();
    bulkhead.leave();
    expect(ran).toEqual(["b", "c"]);
  });

  it("counts a waiter cancelled twice, or after it ran, only once", () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: 2 });
    bulkhead.tryEnter();
    const a = bulkhead.enqueue(() => {})!;
    const b = bulkhead.enqueue(() => {})!;
    b.cancel();
    b.cancel();
    expect(bulkhead.queued).toBe(1);
    bulkhead.leave();
    a.cancel();
    expect(bulkhead.queued).toBe(0);
    expect(bulkhead.active).toBe(1);
  });

  it("frees the slot when every waiter was cancelled", () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: 2 });
    bulkhead.tryEnter();
    bulkhead.enqueue(() => expect.unreachable())!.cancel();
    bulkhead.enqueue(() => expect.unreachable())!.cancel();
    bulkhead.leave();
    expect(bulkhead.active).toBe(0);
    expect(bulkhead.queued).toBe(0);
  });

  it("keeps order and counts while many waiters give up with every slot held", () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: 10 });
    bulkhead.tryEnter();
    const ran: number[] = [];
    // 91 places taken, 81 given up: enough for the queue to compact itself on the way.
    for (let i = 0; i <= 90; i++) {
      const ticket = bulkhead.enqueue(() => ran.push(i))!;
      if (i % 10 !== 0) ticket.cancel();
    }
    expect(bulkhead.queued).toBe(10);
    expect(bulkhead.enqueue(() => {})).toBeUndefined();
    for (let i = 0; i < 10; i++) bulkhead.leave();
    expect(ran).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(bulkhead.active).toBe(1);
  });

  it("hands slots on without recursing when thousands of waiters each leave at once", () => {
    // Inline modules answer synchronously: each waiter's run gives its slot straight back.
    const n = 100_000;
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: n });
    let ran = 0;
    bulkhead.tryEnter();
    for (let i = 0; i < n; i++)
      bulkhead.enqueue(() => {
        ran++;
        bulkhead.leave();
      });
    expect(() => bulkhead.leave()).not.toThrow();
    expect(ran).toBe(n);
    expect(bulkhead.active).toBe(0);
    expect(bulkhead.queued).toBe(0);
  });

  it("stays within maxConcurrent when a waiter given the slot leaves at once", () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: 3 });
    const ran: string[] = [];
    bulkhead.tryEnter();
    for (const name of ["a", "b", "c"])
      bulkhead.enqueue(() => {
        ran.push(name);
        expect(bulkhead.active).toBe(1);
        bulkhead.leave();
      });
    bulkhead.leave();
    expect(ran).toEqual(["a", "b", "c"]);
    expect(bulkhead.active).toBe(0);
    expect(bulkhead.queued).toBe(0);
  });
});
