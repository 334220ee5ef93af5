import { describe, expect, it } from "vitest";
import { candidate, replicas, scripted, seeded, tally } from "../../../test/support/candidates.js";
import { dynamicWeight, LeastLoaded } from "./LeastLoaded.js";

describe("least_loaded", () => {
  it("of the two replicas drawn, sends the call to the one with fewer calls in flight", () => {
    const pool = [candidate("busy", { inflight: 5 }), candidate("idle", { inflight: 1 })];
    // Draws: first = floor(0.1 x 2) = 0 (busy), second = floor(0.9 x 1) = 0, moved past the first: 1 (idle).
    const ll = new LeastLoaded(scripted(0.1, 0.9), 1);
    expect(ll.pick(pool, {})?.key).toBe("idle");
    // The other order of draws gives the same answer.
    const reversed = new LeastLoaded(scripted(0.9, 0.1), 1);
    expect(reversed.pick(pool, {})?.key).toBe("idle");
  });

  it("compares only the two drawn: the least loaded of all is not always taken", () => {
    const pool = [
      candidate("a", { inflight: 4 }),
      candidate("b", { inflight: 2 }),
      candidate("c", { inflight: 0 }),
    ];
    // first = floor(0.0 x 3) = 0 (a), second = floor(0.4 x 2) = 0, moved past the first: 1 (b). c is not drawn.
    expect(new LeastLoaded(scripted(0.0, 0.4), 1).pick(pool, {})?.key).toBe("b");
  });

  it("keeps the first drawn on a tie", () => {
    const pool = replicas(2, { inflight: 3 });
    expect(new LeastLoaded(scripted(0.7, 0.2), 1).pick(pool, {})?.key).toBe("m@1.0.0#1");
  });

  it("avoids a slowed replica whose calls pile up", () => {
    const pool = replicas(4);
    const slow = pool[2]!;
    const ll = new LeastLoaded(seeded(7), 1);
    let toSlow = 0;
    for (let i = 0; i < 4000; i++) {
      const c = ll.pick(pool, {})!;
      // The slow one never finishes; the others finish every call before the next.
      if (c === slow) {
        slow.inflight++;
        toSlow++;
      }
    }
    // Once it holds a call it loses every comparison against an idle one: only its first call,
    // and draws of it alone never happen (two distinct are drawn).
    expect(toSlow).toBe(1);
  });

  it("computes Envoy's dynamic weight, weight / (inflight + 1)^active_request_bias", () => {
    expect(dynamicWeight(2, 3, 1)).toBe(0.5); // 2 / 4
    expect(dynamicWeight(2, 3, 0.5)).toBe(1); // 2 / sqrt(4)
    expect(dynamicWeight(3, 8, 2)).toBe(3 / 81); // 3 / 9^2
    expect(dynamicWeight(2, 3, 0)).toBe(2); // bias 0: weights only
  });

  it("with unequal weights shares calls by the dynamic weights (bias 1: 2/4 against 1/1 is 1 to 2)", () => {
    const pool = [
      candidate("heavy", { weight: 2, inflight: 3 }),
      candidate("light", { weight: 1, inflight: 0 }),
    ];
    const ll = new LeastLoaded(Math.random, 1);
    expect(tally(3000, () => ll.pick(pool, {}))).toEqual({ heavy: 1000, light: 2000 });
    const half = new LeastLoaded(Math.random, 0.5); // 2/sqrt(4) = 1 against 1
    expect(tally(3000, () => half.pick(pool, {}))).toEqual({ heavy: 1500, light: 1500 });
    const none = new LeastLoaded(Math.random, 0); // weights only: 2 against 1
    expect(tally(3000, () => none.pick(pool, {}))).toEqual({ heavy: 2000, light: 1000 });
  });

  it("draws only among replicas of the request's type", () => {
    const pool = [
      candidate("o", { engineType: "onnx" }),
      candidate("w1", { engineType: "wasm", inflight: 2 }),
      candidate("w2", { engineType: "wasm", inflight: 1 }),
    ];
    const ll = new LeastLoaded(seeded(1), 1);
    expect(tally(50, () => ll.pick(pool, { type: "wasm" }))).toEqual({ w2: 50 });
    expect(ll.pick(pool, { type: "gpu" })).toBeUndefined();
    expect(ll.pick([candidate("only")], {})?.key).toBe("only");
  });
});
