import { afterEach, describe, expect, it, vi } from "vitest";
import { droppedNotice, OutputBudget } from "./OutputBudget.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("OutputBudget", () => {
  it("passes up to its limit per second and drops the rest, reporting the count once that second is over", () => {
    vi.useFakeTimers();
    let now = 0;
    const reported: number[] = [];
    const budget = new OutputBudget(
      (n) => reported.push(n),
      10,
      () => now,
    );
    expect(budget.take("12345")).toBe(true);
    expect(budget.take("12345")).toBe(true);
    expect(budget.take("1")).toBe(false);
    expect(budget.take("123")).toBe(false);
    now = 999;
    vi.advanceTimersByTime(999);
    expect(reported).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(reported).toEqual([4]);
    now = 1000;
    expect(budget.take("1234567890")).toBe(true);
    expect(budget.take("x")).toBe(false);
    budget.report();
    expect(reported).toEqual([4, 1]);
    budget.report();
    expect(reported).toEqual([4, 1]);
  });

  it("words its notice as a line of its own", () => {
    expect(droppedNotice(42, "stdout", 1024)).toBe(
      "\n[chipset: 42 characters of stdout dropped: over 1024 per second]\n",
    );
  });
});
