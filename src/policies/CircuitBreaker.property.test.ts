import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import { policyDefaults, type BreakerSettings } from "./CallsConfig.js";
import { CircuitBreaker, Pass } from "./CircuitBreaker.js";

type Op =
  | { kind: "pass" }
  | { kind: "success" | "failure" | "release"; pick: number }
  | { kind: "advance"; ms: number }
  | { kind: "isolate" }
  | { kind: "unisolate" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Op>({ kind: "pass" }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("failure" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("success" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 300 }) }),
  },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: "isolate" }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: "unisolate" }) },
);

const settingsArb: fc.Arbitrary<BreakerSettings> = fc.record({
  consecutiveFailures: fc.integer({ min: 1, max: 4 }),
  failureRate: fc.constantFrom(0, 0.3, 0.5, 1),
  windowMs: fc.constantFrom(100, 1_000),
  minCalls: fc.integer({ min: 1, max: 5 }),
  openMs: fc.integer({ min: 1, max: 200 }),
  halfOpenProbes: fc.integer({ min: 1, max: 4 }),
});

interface Token {
  pass: Pass;
  /** Which half-open spell let it through (0 for calls let through while closed). */
  spell: number;
}

describe("CircuitBreaker (properties)", () => {
  it("never has more than halfOpenProbes probes of the current half-open spell in flight, and frees every slot once all are back", () => {
    fc.assert(
      fc.property(settingsArb, fc.array(opArb, { minLength: 50, maxLength: 300 }), (overrides, ops) => {
        const settings = { ...policyDefaults.breaker, ...overrides };
        const clock = new ManualClock();
        let spell = 0;
        const breaker = new CircuitBreaker(settings, clock, (t) => {
          if (t.to === "half-open") spell++;
        });
        const out: Token[] = [];
        let hold: { dispose(): void } | undefined;

        const check = () => {
          const s = breaker.state;
          if (s.name !== "half-open") return;
          const current = out.filter((t) => t.pass === Pass.Probe && t.spell === spell).length;
          expect(current).toBeLessThanOrEqual(settings.halfOpenProbes);
          expect(current + s.successes).toBeLessThanOrEqual(settings.halfOpenProbes);
        };

        for (const op of ops) {
          switch (op.kind) {
            case "pass": {
              const before = breaker.state.name;
              const pass = breaker.pass();
              if (pass === Pass.Call) expect(before).toBe("closed");
              if (pass === Pass.Probe) expect(breaker.state.name).toBe("half-open");
              if (pass !== Pass.Refuse) out.push({ pass, spell: pass === Pass.Probe ? spell : 0 });
              break;
            }
            case "success":
            case "failure":
            case "release": {
              if (out.length === 0) break;
              const [token] = out.splice(op.pick % out.length, 1);
              breaker[op.kind](token!.pass);
              break;
            }
            case "advance":
              clock.advance(op.ms);
              break;
            case "isolate":
              hold ??= breaker.isolate();
              break;
            case "unisolate":
              hold?.dispose();
              hold = undefined;
              break;
          }
          check();
        }

        // Once every call is back and the isolation released, nothing is held: probes flow again.
        for (const token of out.splice(0)) breaker.release(token.pass);
        hold?.dispose();
        const s = breaker.state;
        if (s.name === "half-open") expect(s.probes).toBe(0);
        clock.advance(settings.openMs);
        expect(breaker.pass()).not.toBe(Pass.Refuse);
      }),
      {
        numRuns: 5_000,
        // A probe of an earlier spell that comes back late must not free a slot of the current one.
        examples: [
          [
            {
              consecutiveFailures: 1,
              failureRate: 0,
              windowMs: 1_000,
              minCalls: 1,
              openMs: 100,
              halfOpenProbes: 2,
            },
            [
              { kind: "pass" },
              { kind: "failure", pick: 0 },
              { kind: "advance", ms: 100 },
              { kind: "pass" },
              { kind: "pass" },
              { kind: "failure", pick: 0 },
              { kind: "advance", ms: 100 },
              { kind: "pass" },
              { kind: "release", pick: 0 },
              { kind: "pass" },
              { kind: "pass" },
            ],
          ],
        ],
      },
    );
  });
});
