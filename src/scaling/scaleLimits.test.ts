import { describe, expect, it } from "vitest";
import { autoscaleDefaults, type ResolvedRules } from "./autoscaleDefaults.js";
import { scaleDownLimit, scaleUpLimit } from "./scaleLimits.js";

const rules = (over: Partial<ResolvedRules>): ResolvedRules => ({ ...autoscaleDefaults.scaleUp, ...over });

describe("scaling policies", () => {
  it("by default let a scale-up double or add 4 replicas per 15 s, whichever is more", () => {
    // From 2: 100% -> 4, 4 replicas -> 6: 6. From 10: 20 against 14: 20.
    expect(scaleUpLimit(2, [], autoscaleDefaults.scaleUp, 0)).toMatchObject({ limit: 6 });
    expect(scaleUpLimit(2, [], autoscaleDefaults.scaleUp, 0).policy?.type).toBe("replicas");
    expect(scaleUpLimit(10, [], autoscaleDefaults.scaleUp, 0)).toMatchObject({ limit: 20 });
  });

  it("with selectPolicy min take the policy that allows the smaller scale-up", () => {
    const min = rules({ selectPolicy: "min" });
    // From 10: min(20, 14) = 14; from 2: min(4, 6) = 4.
    expect(scaleUpLimit(10, [], min, 0).limit).toBe(14);
    expect(scaleUpLimit(2, [], min, 0).limit).toBe(4);
  });

  it("count what the autoscaler changed within each policy's period", () => {
    const changes = [{ at: 5_000, from: 2, to: 6 }];
    // At 10 s the period (after -5 s) holds the change: it started at 2 -> max(4, 6) = 6.
    expect(scaleUpLimit(6, changes, autoscaleDefaults.scaleUp, 10_000)).toMatchObject({
      limit: 6,
      periodStart: 2,
    });
    // At 20 s the period starts after 5 s: the change is out, 6 -> max(12, 10) = 12.
    expect(scaleUpLimit(6, changes, autoscaleDefaults.scaleUp, 20_000).limit).toBe(12);
  });

  it("round a percent scale-up up, computed without floating-point drift", () => {
    // 10 x 110% = 11 exactly (10 x 1.1 in floating point is 11.000000000000002, whose ceiling is 12).
    const tenPercent = rules({ policies: [{ type: "percent", value: 10, periodMs: 60_000 }] });
    expect(scaleUpLimit(10, [], tenPercent, 0).limit).toBe(11);
    // 1 x 150% = 1.5 -> 2: one replica can always grow.
    expect(
      scaleUpLimit(1, [], rules({ policies: [{ type: "percent", value: 50, periodMs: 1 }] }), 0).limit,
    ).toBe(2);
  });

  it("let a scale-down go as far as the policy that allows most, or least with min", () => {
    const down = (selectPolicy: "max" | "min"): ResolvedRules => ({
      ...autoscaleDefaults.scaleDown,
      selectPolicy,
      policies: [
        { type: "percent", value: 50, periodMs: 15_000 },
        { type: "replicas", value: 2, periodMs: 15_000 },
      ],
    });
    // From 7: trunc(3.5) = 3, 7 - 2 = 5. max: 3; min: 5.
    expect(scaleDownLimit(7, [], down("max"), 0).limit).toBe(3);
    expect(scaleDownLimit(7, [], down("min"), 0).limit).toBe(5);
    // The default: 100% per 15 s, down to 0 (min bounds it later).
    expect(scaleDownLimit(8, [], autoscaleDefaults.scaleDown, 0).limit).toBe(0);
  });

  it("count changes either way in a period: a scale-down starts from before a recent scale-up", () => {
    const one: ResolvedRules = {
      ...autoscaleDefaults.scaleDown,
      policies: [{ type: "replicas", value: 1, periodMs: 15_000 }],
    };
    // 4 -> 6 at 5 s; at 10 s the period started at 4: 4 - 1 = 3.
    expect(scaleDownLimit(6, [{ at: 5_000, from: 4, to: 6 }], one, 10_000).limit).toBe(3);
  });

  it("allow nothing when the direction is disabled", () => {
    expect(scaleUpLimit(3, [], rules({ selectPolicy: "disabled" }), 0)).toEqual({
      limit: 3,
      policy: undefined,
      periodStart: 3,
    });
  });
});
