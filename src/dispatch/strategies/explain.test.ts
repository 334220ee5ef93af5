import { describe, expect, it } from "vitest";
import { candidate, replicas } from "../../../test/support/candidates.js";
import { explain } from "./explain.js";
import { RoundRobin } from "./RoundRobin.js";
import { StrategyRegistry } from "./StrategyRegistry.js";

describe("explain", () => {
  it("says why each candidate cannot be picked, and which one would be", () => {
    const pool = [
      candidate("down", { engineType: "wasm", capabilities: ["x"], health: "unhealthy" }),
      candidate("onnx", { engineType: "onnx", capabilities: ["x"] }),
      candidate("lacking", { engineType: "wasm", capabilities: [] }),
      candidate("fits", { engineType: "wasm", capabilities: ["x"] }),
    ];
    const e = explain(pool, { type: "wasm", capabilities: ["x"] }, "capability");
    const byKey = Object.fromEntries(e.candidates.map((c) => [c.key, c]));
    expect(byKey.down!.excluded.map((x) => x.reason)).toEqual(["not_in_rotation"]);
    expect(byKey.down!.excluded[0]!.message).toContain("unhealthy");
    expect(byKey.onnx!.excluded.map((x) => x.reason)).toEqual(["type_mismatch"]);
    expect(byKey.onnx!.excluded[0]!.message).toBe(`engine type "onnx", the request needs "wasm"`);
    expect(byKey.lacking!.excluded).toEqual([{ reason: "capability_missing", message: `lacks "x"` }]);
    expect(byKey.fits!.eligible).toBe(true);
    expect(e.picked).toBe("fits");
    expect(byKey.fits!.picked).toBe(true);
  });

  it("counts a missing capability against the score without excluding the candidate", () => {
    const e = explain([candidate("lacking", { capabilities: [] })], { capabilities: ["x"] }, "score");
    expect(e.candidates[0]!.eligible).toBe(true);
    expect(e.candidates[0]!.missingCapabilities).toEqual(["x"]);
    expect(e.candidates[0]!.score.factors.capability).toBe(0);
    expect(e.picked).toBe("lacking");
  });

  it("asks the live strategy with peek, changing neither its schedule nor the candidates", () => {
    const pool = replicas(3);
    const live = new RoundRobin();
    live.pick(pool, {});
    const snapshot = JSON.stringify(pool);
    expect(explain(pool, {}, "round_robin", { instance: live }).picked).toBe("m@1.0.0#1");
    expect(explain(pool, {}, "round_robin", { instance: live }).picked).toBe("m@1.0.0#1");
    expect(live.pick(pool, {})?.key).toBe("m@1.0.0#1");
    expect(JSON.stringify(pool)).toBe(snapshot);
  });

  it("uses the request's strategy by default, and a registered one by name", () => {
    const registry = new StrategyRegistry();
    registry.register("last", () => ({ pick: (c) => c.at(-1) }));
    const pool = replicas(3);
    expect(explain(pool, { strategy: "last" }, undefined, { registry }).picked).toBe("m@1.0.0#2");
    expect(explain(pool, {}).strategy).toBe("round_robin");
    const noPeek = explain(pool, {}, "last", { registry, instance: { pick: (c) => c[0] } });
    expect(noPeek.pickKnown).toBe(false);
    expect(noPeek.picked).toBeUndefined();
  });
});
