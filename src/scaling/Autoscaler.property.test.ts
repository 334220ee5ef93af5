import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import type { AutoscaleSettings, ScalingRules } from "../vocabulary/dispatch.js";
import { Autoscaler } from "./Autoscaler.js";

type Op =
  | { kind: "round"; advanceMs: number; ready: number; values: (number | undefined)[]; apply: boolean }
  | { kind: "manual"; advanceMs: number; to: number };

const rulesArb: fc.Arbitrary<ScalingRules | undefined> = fc.option(
  fc.record(
    {
      stabilizationWindowMs: fc.integer({ min: 0, max: 120_000 }),
      policies: fc.array(
        fc.record({
          type: fc.constantFrom("replicas" as const, "percent" as const),
          value: fc.integer({ min: 1, max: 200 }),
          periodMs: fc.integer({ min: 1, max: 60_000 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      selectPolicy: fc.constantFrom("max" as const, "min" as const, "disabled" as const),
      cooldownMs: fc.integer({ min: 0, max: 60_000 }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

const settingsArb: fc.Arbitrary<AutoscaleSettings> = fc.record(
  {
    metric: fc.constantFrom("inflight" as const, "cpu" as const, "elu" as const, "queue" as const),
    target: fc.constantFrom(0.7, 1, 8, 70),
    tolerance: fc.double({ min: 0, max: 0.5, noNaN: true }),
    scaleUp: rulesArb,
    scaleDown: rulesArb,
    flapBudget: fc.option(
      fc.record({ changes: fc.integer({ min: 1, max: 4 }), windowMs: fc.integer({ min: 1, max: 600_000 }) }),
      { nil: undefined },
    ),
  },
  { requiredKeys: ["metric", "target"] },
);

const valueArb = fc.option(fc.double({ min: 0, max: 200, noNaN: true }), { nil: undefined, freq: 8 });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("round" as const),
      advanceMs: fc.integer({ min: 0, max: 30_000 }),
      ready: fc.double({ min: 0, max: 1, noNaN: true }),
      values: fc.array(valueArb, { minLength: 20, maxLength: 20 }),
      apply: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("manual" as const),
      advanceMs: fc.integer({ min: 0, max: 30_000 }),
      to: fc.integer({ min: 1, max: 14 }),
    }),
  },
);

describe("autoscaler properties", () => {
  it("keeps the count within [min, max], holds within tolerance, and never moves against the metric", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 8 }),
        settingsArb,
        fc.integer({ min: 1, max: 14 }),
        fc.array(opArb, { maxLength: 40 }),
        (min, extra, settings, start, ops) => {
          const max = min + extra;
          const clock = new ManualClock();
          const scaler = new Autoscaler({ min, max, settings, clock });
          let current = start;
          for (const op of ops) {
            clock.advance(op.advanceMs);
            if (op.kind === "manual") {
              scaler.record({ from: current, to: op.to, source: "manual" });
              current = op.to;
              continue;
            }
            const ready = Math.round(op.ready * current);
            const readings = Array.from({ length: ready }, (_, i) => op.values[i % op.values.length]);
            const d = scaler.recommend(current, readings);
            expect(d.desired).toBeGreaterThanOrEqual(min);
            expect(d.desired).toBeLessThanOrEqual(max);
            if (current >= min && current <= max) {
              if (d.recommended > current) expect(d.desired).toBeGreaterThanOrEqual(current);
              if (d.recommended < current) expect(d.desired).toBeLessThanOrEqual(current);
              const measured = readings.filter((r): r is number => r !== undefined);
              const mean = measured.reduce((a, b) => a + b, 0) / measured.length;
              const tolerance = settings.tolerance ?? 0.1;
              // Strictly inside the band, every replica measured: no change, whatever came before.
              if (measured.length === current && Math.abs(1 - mean / settings.target) < tolerance - 1e-6)
                expect(d.desired).toBe(current);
            }
            if (op.apply && d.desired !== current) {
              scaler.record({ from: current, to: d.desired });
              current = d.desired;
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
