import { describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import { Deadlines } from "./Deadlines.js";

describe("Deadlines", () => {
  it("fires after exactly the given milliseconds and not a millisecond before", () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    const fired: number[] = [];
    deadlines.add(100, () => fired.push(clock.now()));
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([100]);
  });

  it("fires each deadline once", () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    let count = 0;
    deadlines.add(10, () => count++);
    clock.advance(10);
    clock.advance(1_000);
    expect(count).toBe(1);
  });

  it("never fires a cancelled deadline", () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    let fired = false;
    const deadline = deadlines.add(50, () => (fired = true));
    clock.advance(20);
    deadline.cancel();
    deadline.cancel();
    clock.advance(1_000);
    expect(fired).toBe(false);
  });

  it("fires deadlines of different durations in time order behind one timer", () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    const fired: string[] = [];
    const at = (label: string) => () => fired.push(`${label}@${clock.now()}`);
    deadlines.add(300, at("a"));
    expect(clock.pending).toBe(1);
    deadlines.add(100, at("b"));
    expect(clock.pending).toBe(1);
    clock.advance(50);
    deadlines.add(100, at("c"));
    deadlines.add(20, at("d"));
    deadlines.add(500, at("e"));
    expect(clock.pending).toBe(1);
    for (let i = 0; i < 600; i += 10) {
      clock.advance(10);
      expect(clock.pending).toBeLessThanOrEqual(1);
    }
    expect(fired).toEqual(["d@70", "b@100", "c@150", "a@300", "e@550"]);
    expect(clock.pending).toBe(0);
  });

  it("fires two deadlines of different durations that fall due at the same moment", () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    const fired: string[] = [];
    deadlines.add(100, () => fired.push("first"));
    clock.advance(60);
    deadlines.add(40, () => fired.push("second"));
    clock.advance(40);
    expect(fired.sort()).toEqual(["first", "second"]);
  });

  it("does not fire a deadline that an earlier one's handler cancelled, though both fell due together", () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    let secondFired = false;
    // Added first so it is handled first: both share one duration and one instant.
    const first = () => second.cancel();
    deadlines.add(100, first);
    const second = deadlines.add(100, () => (secondFired = true));
    clock.advance(100);
    expect(secondFired).toBe(false);
  });

  it("arms a deadline added by a firing handler", () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    const fired: number[] = [];
    deadlines.add(10, () => deadlines.add(5, () => fired.push(clock.now())));
    clock.advance(10);
    expect(clock.pending).toBe(1);
    clock.advance(5);
    expect(fired).toEqual([15]);
  });

  it("re-arms its timer for the next live deadline when the earliest one was cancelled", () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    const fired: number[] = [];
    const early = deadlines.add(10, () => fired.push(clock.now()));
    deadlines.add(30, () => fired.push(clock.now()));
    early.cancel();
    clock.advance(100);
    expect(fired).toEqual([30]);
    expect(clock.pending).toBe(0);
  });

  it("counts the deadlines neither expired nor cancelled as pending", () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    const a = deadlines.add(10, () => {});
    deadlines.add(10, () => {});
    deadlines.add(20, () => {});
    expect(deadlines.pending).toBe(3);
    a.cancel();
    expect(deadlines.pending).toBe(2);
    clock.advance(10);
    expect(deadlines.pending).toBe(1);
    clock.advance(10);
    expect(deadlines.pending).toBe(0);
  });

  it("keeps counting correctly across many cancelled deadlines of one duration", () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    let fired = 0;
    for (let i = 0; i < 3_000; i++) {
      const d = deadlines.add(1_000, () => fired++);
      if (i % 3 !== 0) d.cancel();
      clock.advance(0.1);
    }
    expect(deadlines.pending).toBe(1_000);
    clock.advance(1_000);
    expect(fired).toBe(1_000);
    expect(deadlines.pending).toBe(0);
  });

  it("stops its timer on dispose and fires nothing after", () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    let fired = false;
    deadlines.add(10, () => (fired = true));
    deadlines.add(20, () => (fired = true));
    deadlines.dispose();
    expect(clock.pending).toBe(0);
    expect(deadlines.pending).toBe(0);
    clock.advance(100);
    expect(fired).toBe(false);
  });

  it("works again after dispose", () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    deadlines.add(10, () => {});
    deadlines.dispose();
    let fired = false;
    deadlines.add(10, () => (fired = true));
    clock.advance(10);
    expect(fired).toBe(true);
  });
});

describe("Deadlines under a long-lived deadline", () => {
  it("frees cancelled deadlines queued behind one that stays, and keeps no process alive once none is pending", () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    let fired = 0;
    const hung = deadlines.add(1000, () => fired++);
    for (let i = 0; i < 10_000; i++) deadlines.add(1000, () => fired++).cancel();
    expect(deadlines.pending).toBe(1);
    // Internal queue stays about the size of what is pending, not of what was ever added.
    const queue = (
      deadlines as unknown as { queues: Map<number, { items: unknown[]; head: number }> }
    ).queues.get(1000)!;
    expect(queue.items.length - queue.head).toBeLessThan(2100);
    hung.cancel();
    expect(deadlines.pending).toBe(0);
    expect(clock.alive).toBe(0); // the timer may stay, but it would not keep a process alive
    clock.advance(2000);
    expect(fired).toBe(0);
    deadlines.add(500, () => fired++);
    expect(clock.alive).toBe(1);
    clock.advance(500);
    expect(fired).toBe(1);
  });
});
