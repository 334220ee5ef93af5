import { describe, expect, it } from "vitest";
import { replicas } from "../../../test/support/candidates.js";
import { ChipsetError, ErrorCodes } from "../../errors/index.js";
import { builtInStrategies } from "../../vocabulary/dispatch.js";
import type { StrategyFactory } from "./DispatchStrategy.js";
import { StrategyRegistry } from "./StrategyRegistry.js";

function refusal(fn: () => unknown): ChipsetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ChipsetError);
    expect((err as ChipsetError).code).toBe(ErrorCodes.STRATEGY_INVALID);
    return err as ChipsetError;
  }
  throw new Error("expected a refusal");
}

describe("StrategyRegistry", () => {
  it("knows every built-in, and makes each one ready to pick", () => {
    const registry = new StrategyRegistry();
    expect(registry.names()).toEqual([...builtInStrategies]);
    for (const name of builtInStrategies)
      expect(registry.create(name, { random: () => 0.5 }).pick(replicas(2), { key: "k" })).toBeDefined();
  });

  it("uses a registered strategy exactly like a built-in, until its registration is disposed", () => {
    const registry = new StrategyRegistry();
    const registration = registry.register("first-idle", () => ({
      pick: (c) => c.find((x) => x.inflight === 0),
    }));
    expect(registry.names().at(-1)).toBe("first-idle");
    expect(registry.create("first-idle").pick(replicas(2), {})?.key).toBe("m@1.0.0#0");
    registration.dispose();
    expect(registry.has("first-idle")).toBe(false);
  });

  it("names the known strategies, and the closest, for an unknown name", () => {
    const err = refusal(() => new StrategyRegistry().get("round_robbin"));
    expect(err.message).toBe(
      `No dispatch strategy is named "round_robbin" (did you mean "round_robin"?). Known: ${builtInStrategies.join(", ")}.`,
    );
  });

  it("refuses a malformed name, a built-in's, a taken one, and a factory that is not a function", () => {
    const registry = new StrategyRegistry();
    const ok: StrategyFactory = () => ({ pick: () => undefined });
    expect(refusal(() => registry.register("My Strategy", ok)).message).toContain("lowercase");
    expect(refusal(() => registry.register("score", ok)).message).toContain("built-in");
    registry.register("mine", ok);
    expect(refusal(() => registry.register("mine", ok)).message).toContain("already registered");
    expect(
      refusal(() => registry.register("other", { pick() {} } as unknown as StrategyFactory)).message,
    ).toContain("expected a factory function");
    expect(registry.names()).toEqual([...builtInStrategies, "mine"]);
  });

  it("refuses what a factory makes when it has no pick function, and reports a factory that throws", () => {
    const registry = new StrategyRegistry();
    registry.register("empty", () => ({}) as never);
    registry.register("broken", () => {
      throw new Error("no table");
    });
    registry.register("bad-peek", () => ({ pick: () => undefined, peek: 3 }) as never);
    expect(refusal(() => registry.create("empty")).message).toContain(
      "not an object with a pick(candidates, request) function",
    );
    const thrown = refusal(() => registry.create("broken"));
    expect((thrown.cause as Error).message).toBe("no table");
    expect(refusal(() => registry.create("bad-peek")).message).toContain("its peek is number");
  });

  it("refuses built-in settings out of range, naming the field", () => {
    const registry = new StrategyRegistry();
    const field = (name: string, settings: object) =>
      refusal(() => registry.create(name, settings)).details.field;
    expect(field("least_loaded", { activeRequestBias: -1 })).toBe("activeRequestBias");
    expect(field("consistent_hash", { hash: { loadFactor: 0.5 } })).toBe("hash.loadFactor");
    expect(field("consistent_hash", { hash: { algorithm: "jump" } })).toBe("hash.algorithm");
    expect(field("consistent_hash", { hash: { tableSize: 65536 } })).toBe("hash.tableSize");
    expect(field("score", { scoreWeights: { load: -1 } })).toBe("scoreWeights.load");
    expect(
      field("score", { scoreWeights: { type: 0, capability: 0, load: 0, performance: 0, affinity: 0 } }),
    ).toBe("scoreWeights");
    expect(
      refusal(() => registry.create("score", { scoreWeights: { latency: 1 } as object })).message,
    ).toContain("one of the factors type, capability, load, performance, affinity");
    expect(
      refusal(() => registry.create("score", { scoreWeights: { perfomance: 1 } as object })).message,
    ).toContain("did you mean performance?");
  });
});
