import { describe, expect, it } from "vitest";
import { canarySettings, earlyFailure, judgeCanary, type TallyView } from "./canaryVerdict.js";

const tally = (calls: number, errors = 0, p99Ms: number | null = calls === 0 ? null : 1): TallyView => ({
  calls,
  errors,
  p99Ms,
});

describe("canary verdict", () => {
  it("fills in the documented defaults of omitted fields", () => {
    expect(canarySettings()).toEqual({
      percent: 10,
      durationMs: 60_000,
      maxErrorRate: 0.01,
      maxP99Ms: undefined,
    });
    expect(canarySettings({ percent: 25, maxP99Ms: 200 })).toMatchObject({ percent: 25, maxP99Ms: 200 });
  });

  it("is inconclusive, never a pass, when the new version answered fewer than 20 calls", () => {
    const settings = canarySettings({ maxP99Ms: 100 });
    expect(judgeCanary(settings, tally(500), tally(0))).toBe("inconclusive");
    expect(judgeCanary(settings, tally(500), tally(19))).toBe("inconclusive");
    expect(judgeCanary(settings, tally(500), tally(19, 19))).toBe("inconclusive");
    expect(judgeCanary(settings, tally(500), tally(20))).toBe("passed");
  });

  it("fails a new version whose error rate is above both maxErrorRate and the old version's", () => {
    const settings = canarySettings({ maxErrorRate: 0.1, maxP99Ms: 100 });
    expect(judgeCanary(settings, tally(100), tally(20, 2))).toBe("passed");
    expect(judgeCanary(settings, tally(100), tally(20, 3))).toBe(
      "failed: error rate 15% (3 of 20 calls) is above maxErrorRate 10% and the old version's 0% (0 of 100)",
    );
    // The old version fails as often: the new one is no worse.
    expect(judgeCanary(settings, tally(100, 20), tally(20, 3))).toBe("passed");
  });

  it("fails a new version whose p99 is above maxP99Ms", () => {
    const settings = canarySettings({ maxP99Ms: 50 });
    expect(judgeCanary(settings, tally(100), tally(20, 0, 50))).toBe("passed");
    expect(judgeCanary(settings, tally(100), tally(20, 0, 50.5))).toBe(
      "failed: p99 50.5 ms is above maxP99Ms 50 ms",
    );
  });

  it("without maxP99Ms, bounds the p99 by twice the old version's plus 100 ms, and needs 20 old calls for it", () => {
    const settings = canarySettings();
    expect(judgeCanary(settings, tally(100, 0, 30), tally(20, 0, 160))).toBe("passed");
    expect(judgeCanary(settings, tally(100, 0, 30), tally(20, 0, 161))).toMatch(
      /^failed: p99 161 ms is above 160 ms \(2 times the old version's p99 of 30 ms, plus 100 ms\)$/,
    );
    expect(judgeCanary(settings, tally(19, 0, 30), tally(20, 0, 1))).toBe("inconclusive");
  });

  it("fails early once enough calls of the new version fail it, and never passes early", () => {
    const settings = canarySettings({ maxErrorRate: 0, maxP99Ms: 10 });
    expect(earlyFailure(settings, tally(10), tally(19, 19), 0)).toBeUndefined();
    expect(earlyFailure(settings, tally(10), tally(20, 1), 0)).toMatch(/^error rate 5%/);
    expect(earlyFailure(settings, tally(10), tally(20), 0)).toBeUndefined();
    // Of 100 calls the p99 (nearest rank) is the 99th: above 10 ms once 2 calls are.
    expect(earlyFailure(settings, tally(10), tally(100), 1)).toBeUndefined();
    expect(earlyFailure(settings, tally(10), tally(100), 2)).toBe(
      "2 of its 100 calls took longer than maxP99Ms 10 ms, so its p99 is above it",
    );
  });
});
