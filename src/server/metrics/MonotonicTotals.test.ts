import { describe, expect, it } from "vitest";
import { MonotonicTotals } from "./MonotonicTotals.js";

describe("MonotonicTotals", () => {
  it("follows a counter while its module stays loaded", () => {
    const t = new MonotonicTotals();
    expect(t.total("a@1 cpu", 1, 2)).toBe(2);
    expect(t.total("a@1 cpu", 1, 5)).toBe(5);
  });

  it("carries what a module counted over into its next load, even when the new count is already higher", () => {
    const t = new MonotonicTotals();
    t.total("a@1 cpu", 1, 5);
    expect(t.total("a@1 cpu", 2, 7)).toBe(12);
    expect(t.total("a@1 cpu", 2, 8)).toBe(13);
  });

  it("treats a counter that went down as started again", () => {
    const t = new MonotonicTotals();
    t.total("a@1 cpu", 1, 5);
    expect(t.total("a@1 cpu", 1, 1)).toBe(6);
  });

  it("starts a removed version's series again from what its counter says", () => {
    const t = new MonotonicTotals();
    t.total("a@1 cpu", 1, 5);
    t.total("ab@1 cpu", 1, 5);
    t.forget("a", "1");
    expect(t.total("a@1 cpu", 2, 1)).toBe(1);
    expect(t.total("ab@1 cpu", 2, 1)).toBe(6);
  });
});
