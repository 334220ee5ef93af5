import { describe, expect, it } from "vitest";
import { CallTally, DURATION_BUCKETS } from "./CallTally.js";

describe("CallTally", () => {
  it("counts each outcome and puts each duration in the first bucket whose bound it does not exceed", () => {
    const t = new CallTally("svc", "echo");
    t.record("ok", 0.0001);
    t.record("ok", 0.0002);
    t.record("timeout", 30);
    expect([...t.outcomes()]).toEqual([
      ["ok", 2],
      ["timeout", 1],
    ]);
    expect(t.buckets[0]).toBe(1); // 0.1 ms: le="0.0001" includes its bound
    expect(t.buckets[1]).toBe(1);
    expect(t.buckets[DURATION_BUCKETS.length]).toBe(1); // beyond 10 s
    expect(t.count).toBe(3);
    expect(t.sum).toBeCloseTo(30.0003);
  });
});
