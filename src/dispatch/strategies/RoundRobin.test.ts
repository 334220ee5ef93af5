import { describe, expect, it } from "vitest";
import { candidate, replicas, tally } from "../../../test/support/candidates.js";
import { RoundRobin } from "./RoundRobin.js";

describe("round_robin", () => {
  it("spreads calls exactly evenly over equal replicas, in a fixed rotation", () => {
    const pool = replicas(3);
    const rr = new RoundRobin();
    expect([1, 2, 3, 4, 5, 6].map(() => rr.pick(pool, {})?.key)).toEqual([
      "m@1.0.0#0",
      "m@1.0.0#1",
      "m@1.0.0#2",
      "m@1.0.0#0",
      "m@1.0.0#1",
      "m@1.0.0#2",
    ]);
    expect(tally(3000, () => rr.pick(pool, {}))).toEqual({
      "m@1.0.0#0": 1000,
      "m@1.0.0#1": 1000,
      "m@1.0.0#2": 1000,
    });
  });

  it("interleaves weights 5, 1, 1 as nginx does: a a b a c a a", () => {
    const pool = [candidate("a", { weight: 5 }), candidate("b"), candidate("c")];
    const rr = new RoundRobin();
    const order = Array.from({ length: 14 }, () => rr.pick(pool, {})?.key).join(" ");
    expect(order).toBe("a a b a c a a a a b a c a a");
  });

  it("follows effectiveWeight, so a degraded replica gets its lower share", () => {
    const pool = replicas(2);
    pool[1]!.effectiveWeight = 0.5;
    const rr = new RoundRobin();
    expect(tally(300, () => rr.pick(pool, {}))).toEqual({ "m@1.0.0#0": 200, "m@1.0.0#1": 100 });
  });

  it("skips candidates of another engine type, and answers nothing when none is of the type", () => {
    const pool = [
      candidate("w1", { engineType: "wasm" }),
      candidate("o1", { engineType: "onnx" }),
      candidate("w2", { engineType: "wasm" }),
    ];
    const rr = new RoundRobin();
    expect(tally(4, () => rr.pick(pool, { type: "wasm" }))).toEqual({ w1: 2, w2: 2 });
    expect(rr.pick(pool, { type: "gpu" })).toBeUndefined();
    expect(rr.pick([], {})).toBeUndefined();
  });

  it("rotates over replicas whose weights are all 0 rather than refusing", () => {
    const pool = replicas(2, { weight: 0 });
    const rr = new RoundRobin();
    expect(tally(4, () => rr.pick(pool, {}))).toEqual({ "m@1.0.0#0": 2, "m@1.0.0#1": 2 });
  });

  it("keeps its place for the replicas that stay when one leaves the rotation", () => {
    const [a, b, c] = replicas(3);
    const rr = new RoundRobin();
    expect(rr.pick([a!, b!, c!], {})?.key).toBe(a!.key);
    // b is ejected: the next is c, not a restarted schedule.
    expect(rr.pick([a!, c!], {})?.key).toBe(c!.key);
  });

  it("peek answers the next pick without moving the schedule", () => {
    const pool = replicas(2);
    const rr = new RoundRobin();
    expect(rr.peek(pool, {})?.key).toBe("m@1.0.0#0");
    expect(rr.peek(pool, {})?.key).toBe("m@1.0.0#0");
    expect(rr.pick(pool, {})?.key).toBe("m@1.0.0#0");
    expect(rr.peek(pool, {})?.key).toBe("m@1.0.0#1");
  });
});
