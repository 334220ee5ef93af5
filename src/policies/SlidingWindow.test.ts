import { describe, expect, it } from "vitest";
import { SlidingWindow } from "./SlidingWindow.js";

describe("SlidingWindow", () => {
  it("reads a rate of 0 with no calls", () => {
    const window = new SlidingWindow(1_000);
    expect(window.calls(0)).toBe(0);
    expect(window.rate(0)).toBe(0);
  });

  it("counts calls and the failed fraction within the window", () => {
    const window = new SlidingWindow(1_000);
    window.add(0, true);
    window.add(100, false);
    window.add(200, false);
    window.add(300, true);
    expect(window.calls(300)).toBe(4);
    expect(window.rate(300)).toBe(0.5);
  });

  it("forgets calls once a whole window has passed since their bucket", () => {
    const window = new SlidingWindow(1_000);
    window.add(0, true);
    window.add(550, false);
    expect(window.calls(999)).toBe(2);
    // The first call's bucket [0, 100) leaves the window at 1 000; the second's [500, 600) at 1 500.
    expect(window.calls(1_000)).toBe(1);
    expect(window.rate(1_000)).toBe(0);
    expect(window.calls(1_499)).toBe(1);
    expect(window.calls(1_500)).toBe(0);
  });

  it("forgets everything after a long quiet spell", () => {
    const window = new SlidingWindow(1_000);
    for (let t = 0; t < 1_000; t += 50) window.add(t, true);
    expect(window.calls(999)).toBe(20);
    expect(window.calls(50_000)).toBe(0);
    window.add(50_001, false);
    expect(window.calls(50_001)).toBe(1);
    expect(window.rate(50_001)).toBe(0);
  });

  it("keeps the running sums right while the window slides bucket by bucket", () => {
    const window = new SlidingWindow(1_000);
    const log: { at: number; failed: boolean }[] = [];
    for (let t = 0; t < 5_000; t += 37) {
      const failed = t % 3 === 0;
      window.add(t, failed);
      log.push({ at: t, failed });
      const bucket = Math.floor(t / 100);
      const inWindow = log.filter((c) => Math.floor(c.at / 100) > bucket - 10);
      expect(window.calls(t)).toBe(inWindow.length);
      expect(window.rate(t)).toBeCloseTo(inWindow.filter((c) => c.failed).length / inWindow.length, 12);
    }
  });

  it("forgets every call on clear", () => {
    const window = new SlidingWindow(1_000);
    window.add(10, true);
    window.add(20, true);
    window.clear();
    expect(window.calls(20)).toBe(0);
    window.add(30, false);
    expect(window.rate(30)).toBe(0);
    expect(window.calls(30)).toBe(1);
  });
});
