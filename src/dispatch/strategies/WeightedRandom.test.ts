import { describe, expect, it } from "vitest";
import { candidate, replicas, tally } from "../../../test/support/candidates.js";
import { WeightedRandom } from "./WeightedRandom.js";

/** 0.5/n, 1.5/n, ...: the uniform source laid out evenly, so shares come out exact. */
function evenly(n: number): () => number {
  let i = 0;
  return () => (i++ % n) / n + 0.5 / n;
}

describe("weighted_random", () => {
  it("picks each replica in proportion to its effective weight", () => {
    const pool = [
      candidate("a", { weight: 3 }),
      candidate("b", { weight: 1 }),
      candidate("c", { weight: 0 }),
    ];
    const wr = new WeightedRandom(evenly(4000));
    expect(tally(4000, () => wr.pick(pool, {}))).toEqual({ a: 3000, b: 1000 });
  });

  it("maps the random number onto the weights in order", () => {
    const pool = [candidate("a", { weight: 3 }), candidate("b", { weight: 1 })];
    expect(new WeightedRandom(() => 0.74).pick(pool, {})?.key).toBe("a"); // 0.74 x 4 = 2.96 < 3
    expect(new WeightedRandom(() => 0.75).pick(pool, {})?.key).toBe("b"); // 3.0: past a
    expect(new WeightedRandom(() => 0.9999999).pick(pool, {})?.key).toBe("b");
  });

  it("picks uniformly when every weight is 0, and nothing from an empty pool", () => {
    const wr = new WeightedRandom(evenly(100));
    expect(tally(100, () => wr.pick(replicas(2, { weight: 0 }), {}))).toEqual({
      "m@1.0.0#0": 50,
      "m@1.0.0#1": 50,
    });
    expect(wr.pick([], {})).toBeUndefined();
  });
});
