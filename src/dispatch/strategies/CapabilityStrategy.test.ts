import { describe, expect, it } from "vitest";
import { candidate } from "../../../test/support/candidates.js";
import { CapabilityStrategy } from "./CapabilityStrategy.js";

const strategy = new CapabilityStrategy();

describe("capability", () => {
  it("considers only engines with every requested capability", () => {
    const pool = [
      candidate("partial", { capabilities: ["contract.execute"] }),
      candidate("full", { capabilities: ["contract.execute", "gas.metering"], inflight: 10 }),
    ];
    expect(strategy.pick(pool, { capabilities: ["contract.execute", "gas.metering"] })?.key).toBe("full");
    expect(strategy.pick(pool, { capabilities: ["gpu"] })).toBeUndefined();
  });

  it("takes the least utilised of those that fit, relative to what each is sized for", () => {
    const pool = [
      candidate("small", { capabilities: ["x"], maxConcurrent: 4, inflight: 2 }), // 0.5
      candidate("large", { capabilities: ["x"], maxConcurrent: 32, inflight: 8 }), // 0.25
    ];
    expect(strategy.pick(pool, { capabilities: ["x"] })?.key).toBe("large");
  });

  it("on equal load prefers the most specialised engine, keeping the broad one free", () => {
    const pool = [
      candidate("broad", { capabilities: ["x", "y", "z"] }),
      candidate("narrow", { capabilities: ["x"] }),
    ];
    expect(strategy.pick(pool, { capabilities: ["x"] })?.key).toBe("narrow");
  });

  it("filters by engine type too, and takes any engine of the type when no capability is asked", () => {
    const pool = [
      candidate("o", { engineType: "onnx" }),
      candidate("w", { engineType: "wasm", inflight: 3 }),
    ];
    expect(strategy.pick(pool, { type: "wasm" })?.key).toBe("w");
    expect(strategy.pick(pool, {})?.key).toBe("o");
  });
});
