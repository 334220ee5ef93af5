import { describe, expect, it } from "vitest";
import { ManualClock } from "../../common/Clock.js";
import { Watchdog } from "./Watchdog.js";

describe("Watchdog", () => {
  it("reports a hang once the child has been silent for the timeout, and only once", () => {
    const clock = new ManualClock();
    const hangs: number[] = [];
    const dog = new Watchdog(clock, 1000, (ms) => hangs.push(ms));
    dog.start();
    clock.advance(999);
    expect(hangs).toEqual([]);
    clock.advance(501); // at most 1.5 timeouts after the last sign of life
    expect(hangs).toHaveLength(1);
    expect(hangs[0]).toBeGreaterThanOrEqual(1000);
    clock.advance(10_000);
    expect(hangs).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it("never reports a child that keeps sending messages", () => {
    const clock = new ManualClock();
    const hangs: number[] = [];
    const dog = new Watchdog(clock, 1000, (ms) => hangs.push(ms));
    dog.start();
    for (let i = 0; i < 100; i++) {
      clock.advance(200);
      dog.messages++;
    }
    expect(hangs).toEqual([]);
    dog.stop();
    expect(clock.pending).toBe(0);
  });

  it("does not blame the child when its own check comes late (this thread was blocked)", () => {
    // A clock whose time jumps without firing timers, like an event loop blocked for 5 s.
    let now = 0;
    let due: (() => void) | undefined;
    const clock = {
      now: () => now,
      wallNow: () => now,
      setTimeout: (fn: () => void) => {
        due = fn;
        return { dispose: () => (due = undefined), keepAlive: () => undefined };
      },
    };
    const hangs: number[] = [];
    const dog = new Watchdog(clock, 1000, (ms) => hangs.push(ms));
    dog.start();
    now = 5000;
    due!();
    expect(hangs).toEqual([]); // a fresh window instead
    for (const at of [5250, 5500, 5750, 6000]) {
      now = at;
      due!();
    }
    expect(hangs).toEqual([1000]);
  });

  it("is off with a timeout of 0", () => {
    const clock = new ManualClock();
    const dog = new Watchdog(clock, 0, () => {
      throw new Error("never");
    });
    dog.start();
    expect(clock.pending).toBe(0);
  });
});
