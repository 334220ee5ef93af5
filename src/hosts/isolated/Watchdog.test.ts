import { describe, expect, it } from "vitest";
import { ManualClock, type Clock } from "../../common/Clock.js";
import { Watchdog } from "./Watchdog.js";

const once = { timeoutMs: 1000, failureThreshold: 1 };

/** A clock whose time jumps without firing timers, like an event loop blocked meanwhile. */
function jumpyClock(): Clock & { at(ms: number): void } {
  let now = 0;
  let due: (() => void) | undefined;
  return {
    now: () => now,
    wallNow: () => now,
    setTimeout: (fn: () => void) => {
      due = fn;
      return { dispose: () => (due = undefined), keepAlive: () => undefined };
    },
    /** Moves to `ms` and runs the pending check, as a late timer would. */
    at(ms: number) {
      now = ms;
      due?.();
    },
  };
}

describe("Watchdog", () => {
  it("reports a hang once the child has been silent for the timeout, and only once", () => {
    const clock = new ManualClock();
    const hangs: number[] = [];
    const dog = new Watchdog(clock, once, (ms) => hangs.push(ms));
    dog.start();
    clock.advance(999);
    expect(hangs).toEqual([]);
    clock.advance(251); // at most a quarter of the timeout after the window closed
    expect(hangs).toHaveLength(1);
    expect(hangs[0]).toBeGreaterThanOrEqual(1000);
    clock.advance(10_000);
    expect(hangs).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it("tolerates silent windows below the failure threshold, reporting the whole silence at the last", () => {
    const clock = new ManualClock();
    const hangs: number[] = [];
    const dog = new Watchdog(clock, { timeoutMs: 1000, failureThreshold: 3 }, (ms) => hangs.push(ms));
    dog.start();
    clock.advance(2999); // two windows missed, the third not yet over
    expect(hangs).toEqual([]);
    clock.advance(251);
    expect(hangs).toEqual([3000]);
  });

  it("starts counting again after any message: missed windows must be consecutive", () => {
    const clock = new ManualClock();
    const hangs: number[] = [];
    const dog = new Watchdog(clock, { timeoutMs: 1000, failureThreshold: 3 }, (ms) => hangs.push(ms));
    dog.start();
    // Two silent windows, one message, two silent windows, one message...: never three in a row.
    for (let i = 0; i < 10; i++) {
      clock.advance(2500);
      dog.messages++;
    }
    expect(hangs).toEqual([]);
    clock.advance(3250);
    expect(hangs).toEqual([3000]);
  });

  it("never reports a child that keeps sending messages", () => {
    const clock = new ManualClock();
    const hangs: number[] = [];
    const dog = new Watchdog(clock, once, (ms) => hangs.push(ms));
    dog.start();
    for (let i = 0; i < 100; i++) {
      clock.advance(200);
      dog.messages++;
    }
    expect(hangs).toEqual([]);
    dog.stop();
    expect(clock.pending).toBe(0);
  });

  it("does not count a window in which its own check came late (this thread was blocked)", () => {
    const clock = jumpyClock();
    const hangs: number[] = [];
    const dog = new Watchdog(clock, once, (ms) => hangs.push(ms));
    dog.start();
    clock.at(5000);
    expect(hangs).toEqual([]); // a fresh window instead
    for (const at of [5250, 5500, 5750]) clock.at(at);
    expect(hangs).toEqual([]);
    clock.at(6000);
    expect(hangs).toEqual([6000]); // the silence since the last message, all of it
  });

  it("keeps the windows already missed when this thread is blocked, and counts on after it", () => {
    const clock = jumpyClock();
    const hangs: number[] = [];
    const dog = new Watchdog(clock, { timeoutMs: 1000, failureThreshold: 2 }, (ms) => hangs.push(ms));
    dog.start();
    for (const at of [250, 500, 750, 1000]) clock.at(at); // one window missed
    clock.at(4000); // late: not counted
    for (const at of [4250, 4500, 4750]) clock.at(at);
    expect(hangs).toEqual([]);
    clock.at(5000);
    expect(hangs).toEqual([5000]);
  });

  it("is off with a timeout of 0 or Infinity", () => {
    for (const timeoutMs of [0, Infinity]) {
      const clock = new ManualClock();
      const dog = new Watchdog(clock, { timeoutMs, failureThreshold: 1 }, () => {
        throw new Error("never");
      });
      dog.start();
      expect(clock.pending).toBe(0);
    }
  });
});
