import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bisect } from "./bisect.js";
import { type BisectCheck } from "./BisectTypes.js";

/** Unhealthy exactly when every module of one of `failures` is active; records each subset asked. */
function runtime(failures: readonly string[][]): { check: BisectCheck; calls: string[][] } {
  const calls: string[][] = [];
  const check: BisectCheck = (subset) => {
    calls.push(subset);
    const active = new Set(subset);
    return Promise.resolve({ healthy: !failures.some((failure) => failure.every((id) => active.has(id))) });
  };
  return { check, calls };
}

/** n candidates (1..40) and `sets` non-empty subsets of them, each in candidate order. */
function world(sets: { min: number; max: number }) {
  return fc.integer({ min: 1, max: 40 }).chain((n) => {
    const ids = Array.from({ length: n }, (_, i) => `mod-${i}`);
    const subset = fc
      .uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: n })
      .map((picked) => ids.filter((_, i) => picked.includes(i)));
    return fc.record({
      ids: fc.shuffledSubarray(ids, { minLength: n, maxLength: n }),
      failures: fc.array(subset, { minLength: sets.min, maxLength: sets.max }),
    });
  });
}

const unlimited = { maxTrials: 1_000_000 };

describe("bisect, for random candidates", () => {
  it("finds exactly the culprit set C when the runtime is unhealthy iff every module of C runs", async () => {
    await fc.assert(
      fc.asyncProperty(world({ min: 1, max: 1 }), async ({ ids, failures }) => {
        const culprits = ids.filter((id) => failures[0]?.includes(id));
        const { check, calls } = runtime(failures);
        const result = await bisect(ids, check, unlimited);
        expect(result.culprits).toEqual(culprits);
        expect(result.found).toBe(true);
        expect(result.minimal).toBe(true);
        expect(new Set(calls.map((subset) => subset.join(","))).size).toBe(calls.length);
        // 1-minimal by the trials themselves: without any one culprit the runtime was seen healthy.
        if (culprits.length > 1) {
          for (const dropped of culprits) {
            const rest = culprits.filter((id) => id !== dropped);
            expect(result.trials).toContainEqual({ modules: rest, healthy: true });
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("names disjoint 1-minimal failing groups, without which the runtime is healthy, when several combinations fail", async () => {
    await fc.assert(
      fc.asyncProperty(world({ min: 2, max: 4 }), async ({ ids, failures }) => {
        const { check } = runtime(failures);
        const unhealthy = (subset: string[]) => failures.some((f) => f.every((id) => subset.includes(id)));
        const result = await bisect(ids, check, unlimited);
        expect(result).toMatchObject({ found: true, minimal: true, complete: true });
        for (const group of result.groups) {
          expect(unhealthy(group)).toBe(true);
          expect(group).toEqual(ids.filter((id) => group.includes(id)));
          for (const dropped of group) expect(unhealthy(group.filter((id) => id !== dropped))).toBe(false);
        }
        expect(result.groups.flat()).toHaveLength(result.culprits.length);
        expect(result.culprits).toEqual(ids.filter((id) => result.groups.flat().includes(id)));
        expect(unhealthy(ids.filter((id) => !result.culprits.includes(id)))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("finds a single culprit, and that it is the only one, in at most ceil(log2 n) + 3 trials", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 2, max: 1000 })
          .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 }))),
        async ([n, culprit]) => {
          const ids = Array.from({ length: n }, (_, i) => `mod-${i}`);
          const { check, calls } = runtime([[`mod-${culprit}`]]);
          const result = await bisect(ids, check);
          expect(result.culprits).toEqual([`mod-${culprit}`]);
          expect(calls.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)) + 3);
        },
      ),
    );
  });
});
