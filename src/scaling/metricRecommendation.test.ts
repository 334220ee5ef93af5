import { describe, expect, it } from "vitest";
import { recommendFromMetric } from "./metricRecommendation.js";

// Every expected number below is worked out by hand in the comment beside it.

describe("the metric's recommendation", () => {
  it("asks for ceil(replicas x mean / target)", () => {
    // 2 x 12 / 8 = 3
    expect(recommendFromMetric(2, [12, 12], 8, 0.1)).toMatchObject({ replicas: 3, mean: 12, ratio: 1.5 });
    // 4 x 2 / 8 = 1
    expect(recommendFromMetric(4, [2, 2, 2, 2], 8, 0.1)).toMatchObject({ replicas: 1, ratio: 0.25 });
    // 3 x 10 / 8 = 3.75 -> 4 (uneven readings: the mean is 10)
    expect(recommendFromMetric(3, [4, 10, 16], 8, 0.1)).toMatchObject({ replicas: 4, mean: 10 });
  });

  it("lands on a whole number when the arithmetic does: 10 x 5.6 / 8 is 7, not 8", () => {
    expect(recommendFromMetric(10, Array<number>(10).fill(5.6), 8, 0.1).replicas).toBe(7);
  });

  it("changes nothing while mean / target is within 1 ± tolerance, bounds included", () => {
    // 8.8 / 8 = 1.1: on the bound, held.
    expect(recommendFromMetric(2, [8.8, 8.8], 8, 0.1)).toMatchObject({ replicas: 2, held: "tolerance" });
    // 8.9 / 8 = 1.1125: out; 2 x 8.9 / 8 = 2.225 -> 3.
    expect(recommendFromMetric(2, [8.9, 8.9], 8, 0.1)).toMatchObject({ replicas: 3, held: undefined });
    // 7.2 / 8 = 0.9: held at 10; 7.1 / 8 = 0.8875: 10 x 7.1 / 8 = 8.875 -> 9.
    expect(recommendFromMetric(10, Array<number>(10).fill(7.2), 8, 0.1).replicas).toBe(10);
    expect(recommendFromMetric(10, Array<number>(10).fill(7.1), 8, 0.1).replicas).toBe(9);
  });

  it("takes the module's own tolerance", () => {
    // 9.5 / 8 = 1.1875: within 0.2, out of 0.1 (2 x 9.5 / 8 = 2.375 -> 3).
    expect(recommendFromMetric(2, [9.5, 9.5], 8, 0.2).replicas).toBe(2);
    expect(recommendFromMetric(2, [9.5, 9.5], 8, 0.1).replicas).toBe(3);
  });

  it("counts a missing reading at the target on a scale-down, so it scales down less", () => {
    // Ratio 4 / 8 = 0.5 from three readings; the fourth counted at 8: (12 + 8) / 8 = 2.5 -> 3
    // (leaving it out would give 12 / 8 = 1.5 -> 2).
    const rec = recommendFromMetric(4, [4, 4, 4, undefined], 8, 0.1);
    expect(rec).toMatchObject({ replicas: 3, ratio: 0.5, adjustedRatio: 0.625, missing: 1 });
  });

  it("counts a missing reading as 0 on a scale-up, and holds when that turns the direction round", () => {
    // Ratio 10 / 8 = 1.25 from two readings; two more counted as 0: 20 / 4 / 8 = 0.625 < 1: hold.
    const rec = recommendFromMetric(4, [10, 10, undefined, NaN], 8, 0.1);
    expect(rec).toMatchObject({ replicas: 4, held: "direction-flip", missing: 2 });
  });

  it("holds when counting the replicas without a reading brings the ratio within tolerance", () => {
    // Ratio 9 / 8 = 1.125; the tenth counted as 0: 81 / 10 / 8 = 1.0125, within 0.1.
    const readings = [...Array<number>(9).fill(9), undefined];
    expect(recommendFromMetric(10, readings, 8, 0.1)).toMatchObject({ replicas: 10, held: "tolerance" });
  });

  it("counts replicas still starting as idle on a scale-up, so growth already under way is not doubled", () => {
    // 4 replicas, 2 ready at 16: ratio 2; the 2 starting as 0: 32 / 4 / 8 = 1.0: hold.
    expect(recommendFromMetric(4, [16, 16], 8, 0.1)).toMatchObject({ replicas: 4, unready: 2 });
    // At 24 each: 48 / 4 / 8 = 1.5; 48 / 8 = 6.
    expect(recommendFromMetric(4, [24, 24], 8, 0.1)).toMatchObject({ replicas: 6, adjustedRatio: 1.5 });
  });

  it("leaves replicas still starting out of a scale-down, as Kubernetes does", () => {
    // 2 ready at 2 of 4: ceil(4 / 8) = 1.
    expect(recommendFromMetric(4, [2, 2], 8, 0.1)).toMatchObject({ replicas: 1, unready: 2 });
  });

  it("holds without a single usable reading", () => {
    expect(recommendFromMetric(3, [], 8, 0.1)).toMatchObject({ replicas: 3, held: "no-readings" });
    expect(recommendFromMetric(3, [undefined, NaN, -1], 8, 0.1)).toMatchObject({
      replicas: 3,
      held: "no-readings",
      missing: 3,
    });
  });
});
