import { describe, expect, it } from "vitest";
import { candidate } from "../../../test/support/candidates.js";
import type { DispatchRequest } from "../../vocabulary/dispatch.js";
import { explain } from "./explain.js";
import { ScoreStrategy } from "./ScoreStrategy.js";
import { defaultScoreWeights, scoreWeightsOf } from "./settings.js";

// Document 004's example pool: three WASM engines and an ONNX one.
const both = ["contract.execute", "gas.metering"];
function pool() {
  return [
    candidate("wasm-1", {
      engineType: "wasm",
      capabilities: both,
      labels: { zone: "a" },
      inflight: 8,
      meanMs: 20,
    }),
    candidate("wasm-2", {
      engineType: "wasm",
      capabilities: ["contract.execute"],
      labels: { zone: "b" },
      meanMs: 10,
    }),
    candidate("wasm-3", {
      engineType: "wasm",
      capabilities: both,
      labels: { zone: "b" },
      maxConcurrent: 8,
      inflight: 2,
    }),
    candidate("onnx-1", { engineType: "onnx", capabilities: both, labels: { zone: "a" }, meanMs: 5 }),
  ];
}
const request: DispatchRequest = { type: "wasm", capabilities: both, labels: { zone: "a" } };

describe("score", () => {
  it("scores document 004's table as worked by hand, and picks the highest", () => {
    // Weights 40 / 25 / 20 / 10 / 5 (sum 100). Fastest mean among the wasm engines: 10 ms.
    // wasm-1: capability 2/2 = 1, load (16 - 8) / 16 = 0.5, performance 10/20 = 0.5, affinity 1
    //         (40 + 25 + 10 + 5 + 5) / 100 = 0.85
    // wasm-2: capability 1/2, load 1, performance 10/10 = 1, affinity 0
    //         (40 + 12.5 + 20 + 10 + 0) / 100 = 0.825
    // wasm-3: capability 1, load (8 - 2) / 8 = 0.75, performance: no data, the mean of the
    //         others' (0.5 + 1) / 2 = 0.75, affinity 0: (40 + 25 + 15 + 7.5 + 0) / 100 = 0.875
    // onnx-1: another type, excluded whatever its figures.
    const e = explain(pool(), request, "score");
    const totals = Object.fromEntries(e.candidates.map((c) => [c.key, c.score.total]));
    expect(totals["wasm-1"]).toBeCloseTo(0.85, 12);
    expect(totals["wasm-2"]).toBeCloseTo(0.825, 12);
    expect(totals["wasm-3"]).toBeCloseTo(0.875, 12);
    expect(totals["onnx-1"]).toBeUndefined();
    const f = e.candidates[2]!.score.factors;
    expect([f.type, f.capability, f.load, f.affinity]).toEqual([1, 1, 0.75, 0]);
    expect(f.performance).toBeCloseTo(0.75, 12);
    expect(e.picked).toBe("wasm-3");
    expect(new ScoreStrategy(defaultScoreWeights).pick(pool(), request)?.key).toBe("wasm-3");
  });

  it("moves to the next best when the best one fills up", () => {
    const p = pool();
    p[2]!.inflight = 6; // wasm-3: load (8 - 6) / 8 = 0.25: (40 + 25 + 5 + 7.5) / 100 = 0.775 < wasm-1's 0.85
    expect(new ScoreStrategy(defaultScoreWeights).pick(p, request)?.key).toBe("wasm-1");
  });

  it("follows configured weights: performance 50 makes the fastest win", () => {
    // Sum 140. wasm-1: (40 + 25 + 10 + 25 + 5) / 140 = 0.75; wasm-2: (40 + 12.5 + 20 + 50) / 140 = 0.875;
    // wasm-3: (40 + 25 + 15 + 37.5) / 140 = 0.839.
    const weights = scoreWeightsOf({ scoreWeights: { performance: 50 } });
    expect(new ScoreStrategy(weights).pick(pool(), request)?.key).toBe("wasm-2");
    const e = explain(pool(), request, "score", { settings: { scoreWeights: { performance: 50 } } });
    expect(e.candidates[1]!.score.total).toBeCloseTo(0.875, 12);
    expect(e.candidates[0]!.score.total).toBeCloseTo(0.75, 12);
  });

  it("breaks a tie by fewer calls in flight, then by the lower key", () => {
    // Same free share (0.5) and otherwise equal: y has fewer calls in flight.
    const x = candidate("x", { maxConcurrent: 16, inflight: 8 });
    const y = candidate("y", { maxConcurrent: 8, inflight: 4 });
    expect(new ScoreStrategy(defaultScoreWeights).pick([x, y], {})?.key).toBe("y");
    expect(new ScoreStrategy(defaultScoreWeights).pick([candidate("b"), candidate("a")], {})?.key).toBe("a");
  });

  it("scores a pool without any timing alike on performance, and picks nothing of another type", () => {
    const e = explain([candidate("a"), candidate("b")], {}, "score");
    expect(e.candidates.map((c) => c.score.factors.performance)).toEqual([1, 1]);
    expect(new ScoreStrategy(defaultScoreWeights).pick(pool(), { type: "gpu" })).toBeUndefined();
  });
});
