import { describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import type { AutoscaleSettings } from "../vocabulary/dispatch.js";
import { Autoscaler, type ScalingDecision } from "./Autoscaler.js";

// Every expected count and reason below is worked out by hand in the comment beside it.
// Target 8 calls in flight per replica throughout.

/** An autoscaler at `start` replicas; `at(s, total)` spreads `total` calls evenly and decides. */
function setup(settings: Partial<AutoscaleSettings> = {}, bounds = { min: 1, max: 10 }, start = 1) {
  const clock = new ManualClock();
  const scaler = new Autoscaler({
    ...bounds,
    settings: { metric: "inflight", target: 8, ...settings },
    clock,
  });
  let current = start;
  /** At `seconds`, every replica reads `total / current`; the decision is applied (recorded) at once. */
  const at = (seconds: number, total: number): ScalingDecision => {
    clock.advance(seconds * 1000 - clock.now());
    const decision = scaler.recommend(current, Array<number>(current).fill(total / current));
    if (decision.desired !== current) {
      scaler.record({ from: current, to: decision.desired });
      current = decision.desired;
    }
    return decision;
  };
  return { clock, scaler, at, current: () => current, set: (n: number) => void (current = n) };
}

describe("the autoscaler", () => {
  it("follows a scripted load up, then down once the 300 s window has passed (the defaults)", () => {
    const t = setup();
    // 8 on 1: ratio 1.
    expect(t.at(0, 8)).toMatchObject({
      desired: 1,
      reason: "mean inflight 8.0 within 10% of target 8 (ratio 1.00): stays at 1",
    });
    // 40 on 1: ceil(40 / 8) = 5; the policies allow max(1 x 2, 1 + 4) = 5.
    expect(t.at(15, 40)).toMatchObject({
      desired: 5,
      ratio: 5,
      reason: "mean inflight 40.0 over target 8 (ratio 5.00): 1 → 5",
    });
    // 40 on 5: 8 each, on target.
    expect(t.at(30, 40).desired).toBe(5);
    // 100 on 5: ceil(100 / 8) = 13; the policies allow max(5 x 2, 5 + 4) = 10, and max is 10.
    expect(t.at(45, 100)).toEqual({
      desired: 10,
      current: 5,
      recommended: 13,
      metric: "inflight",
      value: 20,
      ratio: 2.5,
      limitedBy: "max",
      reason: "mean inflight 20.0 over target 8 (ratio 2.50) asks for 13; capped at max 10: 5 → 10",
    });
    // 100 on 10: 10 each, ratio 1.25: asks for 13 again, still capped.
    expect(t.at(60, 100)).toMatchObject({ desired: 10, recommended: 13, limitedBy: "max" });
    // The load falls to 20: ceil(20 / 8) = 3, but 13 was recommended at 45 s and 60 s.
    for (let s = 75; s <= 345; s += 15)
      expect(t.at(s, 20)).toMatchObject({
        desired: 10,
        recommended: 3,
        limitedBy: "stabilization",
        reason:
          "mean inflight 2.0 under target 8 (ratio 0.25) asks for 3; scale-down held by the 300 s stabilisation window (highest recommendation 13): stays at 10",
      });
    // At 360 s the 60 s recommendation leaves the window (60 is not after 360 - 300): down to 3.
    expect(t.at(360, 20)).toMatchObject({
      desired: 3,
      reason: "mean inflight 2.0 under target 8 (ratio 0.25): 10 → 3",
    });
    // 20 on 3: ratio 0.83, out of tolerance, but ceil(20 / 8) = 3 is where it is.
    expect(t.at(375, 20)).toMatchObject({ desired: 3, recommended: 3 });
  });

  it("holds a scale-down by the stabilisation window, then lets it go step by step", () => {
    const t = setup({ scaleDown: { stabilizationWindowMs: 60_000 } }, { min: 1, max: 10 }, 4);
    expect(t.at(0, 32).desired).toBe(4); // on target; the window starts with 4
    // 20 on 4: ceil(2.5) = 3, but 4 at 0 s is in the window.
    expect(t.at(20, 20)).toMatchObject({ desired: 4, recommended: 3, limitedBy: "stabilization" });
    // 8 on 4: asks for 1; the window holds 4 (0 s), 3, 1.
    expect(t.at(40, 8).reason).toBe(
      "mean inflight 2.0 under target 8 (ratio 0.25) asks for 1; scale-down held by the 60 s stabilisation window (highest recommendation 4): stays at 4",
    );
    // At 60 s the 0 s entries are out: 3 (20 s), 1, 1 -> 3.
    expect(t.at(60, 8).reason).toBe(
      "mean inflight 2.0 under target 8 (ratio 0.25) asks for 1; scale-down limited to 3 by the 60 s stabilisation window (highest recommendation 3): 4 → 3",
    );
    // At 80 s: 1 (40 s), 1 (60 s), 1 -> 1.
    expect(t.at(80, 8)).toMatchObject({ desired: 1, current: 3 });
  });

  it("holds a scale-up by a scale-up window at its lowest recommendation", () => {
    const t = setup({ scaleUp: { stabilizationWindowMs: 30_000 } }, { min: 1, max: 10 }, 2);
    expect(t.at(0, 16).desired).toBe(2);
    // 32 on 2: asks for 4; the window holds 2 from 0 s.
    expect(t.at(10, 32).reason).toBe(
      "mean inflight 16.0 over target 8 (ratio 2.00) asks for 4; scale-up held by the 30 s stabilisation window (lowest recommendation 2): stays at 2",
    );
    expect(t.at(20, 32).desired).toBe(2);
    // At 30 s the 0 s entries are out: 4, 4, 4.
    expect(t.at(30, 32)).toMatchObject({ desired: 4, current: 2 });
  });

  it("limits the rate by a replicas policy, counting its own changes in the period", () => {
    const t = setup(
      { scaleUp: { policies: [{ type: "replicas", value: 2, periodMs: 60_000 }] } },
      { min: 1, max: 10 },
      2,
    );
    // 80 on 2: asks for 10; 2 + 2 = 4.
    expect(t.at(0, 80)).toMatchObject({
      desired: 4,
      limitedBy: "rate",
      reason:
        "mean inflight 40.0 over target 8 (ratio 5.00) asks for 10; scale-up limited to 4 by the policy 2 replicas per 60 s: 2 → 4",
    });
    // 15 s later the period started at 2 (2 added): 2 + 2 = 4, no further.
    expect(t.at(15, 80).reason).toBe(
      "mean inflight 20.0 over target 8 (ratio 2.50) asks for 10; scale-up held by the policy 2 replicas per 60 s (2 added within it already): stays at 4",
    );
    // At 60 s the change at 0 s is out of the period: 4 + 2 = 6.
    expect(t.at(60, 80)).toMatchObject({ desired: 6, current: 4 });
  });

  it("picks the policy allowing the bigger change with max and the smaller with min", () => {
    const policies = [
      { type: "percent" as const, value: 50, periodMs: 15_000 },
      { type: "replicas" as const, value: 4, periodMs: 15_000 },
    ];
    // 128 on 4 asks for 16: 50% of 4 -> 6, 4 + 4 -> 8.
    const max = setup({ scaleUp: { policies, selectPolicy: "max" } }, { min: 1, max: 20 }, 4);
    expect(max.at(0, 128).desired).toBe(8);
    const min = setup({ scaleUp: { policies, selectPolicy: "min" } }, { min: 1, max: 20 }, 4);
    const slow = min.at(0, 128);
    expect(slow.desired).toBe(6);
    expect(slow.reason).toContain("scale-up limited to 6 by the policy 50% per 15 s: 4 → 6");
    const down = [
      { type: "percent" as const, value: 50, periodMs: 15_000 },
      { type: "replicas" as const, value: 1, periodMs: 15_000 },
    ];
    // 8 on 8 asks for 1: trunc(8 x 50%) = 4, 8 - 1 = 7.
    const downMax = setup(
      { scaleDown: { stabilizationWindowMs: 0, policies: down } },
      { min: 1, max: 10 },
      8,
    );
    expect(downMax.at(0, 8).desired).toBe(4);
    const downMin = setup(
      { scaleDown: { stabilizationWindowMs: 0, policies: down, selectPolicy: "min" } },
      { min: 1, max: 10 },
      8,
    );
    expect(downMin.at(0, 8).desired).toBe(7);
  });

  it("never scales a direction whose selectPolicy is disabled", () => {
    const t = setup(
      { scaleDown: { stabilizationWindowMs: 0, selectPolicy: "disabled" } },
      { min: 1, max: 10 },
      4,
    );
    expect(t.at(0, 4)).toMatchObject({
      desired: 4,
      limitedBy: "disabled",
      reason:
        'mean inflight 1.0 under target 8 (ratio 0.13) asks for 1; scale-down disabled (selectPolicy "disabled"): stays at 4',
    });
    // Up still works: 64 on 4 asks for 8.
    expect(t.at(15, 64).desired).toBe(8);
  });

  it("stays within min and max, and brings a count outside them back", () => {
    const t = setup({ scaleDown: { stabilizationWindowMs: 0 } }, { min: 2, max: 6 }, 4);
    // 4 on 4 asks for 1; the policy allows 0; min is 2.
    expect(t.at(0, 4)).toMatchObject({
      desired: 2,
      limitedBy: "min",
      reason: "mean inflight 1.0 under target 8 (ratio 0.13) asks for 1; held at min 2: 4 → 2",
    });
    // 160 on 2 asks for 20; the policy allows max(4, 6) = 6 = max.
    expect(t.at(15, 160)).toMatchObject({ desired: 6, limitedBy: "max" });
    t.set(9);
    expect(t.at(30, 72)).toMatchObject({
      desired: 6,
      limitedBy: "max",
      reason: "9 replicas, more than max 6: 9 → 6",
    });
    t.set(1);
    expect(t.at(45, 8)).toMatchObject({
      desired: 2,
      limitedBy: "min",
      reason: "1 replica, fewer than min 2: 1 → 2",
    });
  });

  it("waits out each direction's cooldown after any change", () => {
    const t = setup(
      { scaleUp: { cooldownMs: 60_000 }, scaleDown: { stabilizationWindowMs: 0, cooldownMs: 120_000 } },
      { min: 1, max: 10 },
      2,
    );
    expect(t.at(0, 32).desired).toBe(4); // 32 on 2 asks for 4
    // 64 on 4 asks for 8, 20 s after the last change.
    expect(t.at(20, 64)).toMatchObject({
      desired: 4,
      limitedBy: "cooldown",
      reason:
        "mean inflight 16.0 over target 8 (ratio 2.00) asks for 8; cooldown: last scale-up 20 s ago, scale-up cooldown 60 s: stays at 4",
    });
    expect(t.at(60, 64).desired).toBe(8);
    // The load goes: 8 on 8 asks for 1, 40 s after the scale-up; the scale-down cooldown is 120 s.
    expect(t.at(100, 8).reason).toBe(
      "mean inflight 1.0 under target 8 (ratio 0.13) asks for 1; cooldown: last scale-up 40 s ago, scale-down cooldown 120 s: stays at 8",
    );
    expect(t.at(180, 8)).toMatchObject({ desired: 1, current: 8 });
    // A manual scale starts the cooldown too.
    t.scaler.record({ from: 1, to: 3, source: "manual" });
    t.set(3);
    expect(t.at(190, 48).reason).toContain(
      "cooldown: last scale-up (manual) 10 s ago, scale-up cooldown 60 s",
    );
  });

  it("leaves a manual scale out of the policies' count", () => {
    const t = setup({}, { min: 1, max: 20 }, 2);
    t.scaler.record({ from: 2, to: 6, source: "manual" });
    t.set(6);
    // 96 on 6 asks for 12 five seconds later; from 6 the policies allow max(12, 10) = 12
    // (counting the manual change, the period would start at 2 and allow only 6).
    expect(t.at(5, 96)).toMatchObject({ desired: 12, current: 6 });
  });

  it("holds still once the flap budget's changes of direction are spent, and says so", () => {
    const windows = { stabilizationWindowMs: 0 };
    const t = setup(
      { scaleDown: windows, flapBudget: { changes: 2, windowMs: 600_000 } },
      { min: 1, max: 10 },
      2,
    );
    expect(t.at(0, 32).desired).toBe(4); // up: the first change turns nothing round
    expect(t.at(15, 8).desired).toBe(1); // down: change of direction 1
    expect(t.at(30, 32).desired).toBe(4); // up: change of direction 2
    // Down again would be the third in 10 min.
    expect(t.at(45, 8)).toMatchObject({
      desired: 4,
      limitedBy: "flap-budget",
      reason:
        "mean inflight 2.0 under target 8 (ratio 0.25) asks for 1; flap budget spent: 2 changes of direction in 10 min: stays at 4",
    });
    // Further up is no change of direction: 64 on 4 asks for 8.
    expect(t.at(60, 64).desired).toBe(8);
    // At 615 s the change of direction at 15 s has left the window (15 is not after 615 - 600).
    expect(t.at(600, 8).limitedBy).toBe("flap-budget");
    expect(t.at(615, 8)).toMatchObject({ desired: 1, current: 8 });
  });

  it("holds when no replica has a reading, and when the module is stopped", () => {
    const clock = new ManualClock();
    const scaler = new Autoscaler({ min: 1, max: 4, settings: { metric: "elu", target: 0.7 }, clock });
    expect(scaler.recommend(2, [undefined, undefined])).toMatchObject({
      desired: 2,
      value: undefined,
      reason: "no elu reading from any ready replica yet: stays at 2",
    });
    expect(scaler.recommend(0, []).desired).toBe(0);
  });

  it("says how it counted replicas without a reading", () => {
    const clock = new ManualClock();
    const scaler = new Autoscaler({ min: 1, max: 10, settings: { metric: "inflight", target: 8 }, clock });
    // 2 ready at 24 of 4: ratio 3; the 2 starting as 0: 48 / 4 / 8 = 1.5; 48 / 8 = 6.
    expect(scaler.recommend(4, [24, 24]).reason).toBe(
      "mean inflight 24.0 over target 8 (ratio 3.00); counting 2 replicas not ready as 0: ratio 1.50: 4 → 6",
    );
  });

  it("refuses bounds a manifest could not hold", () => {
    const clock = new ManualClock();
    const settings = { metric: "cpu", target: 70 } as const;
    expect(() => new Autoscaler({ min: 3, max: 2, settings, clock })).toThrow(ChipsetError);
    expect(() => new Autoscaler({ min: 0, max: 2, settings, clock })).toThrow(/"chipset.replicas.min" is 0/);
    expect(() => new Autoscaler({ min: 1, max: 2, settings: { metric: "cpu", target: 0 }, clock })).toThrow(
      /autoscale.target/,
    );
  });
});
