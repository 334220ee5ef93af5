import { describe, expect, it } from "vitest";
import { CallLog, type RecordedCall } from "./CallLog.js";

const call = (over: Partial<RecordedCall> = {}): RecordedCall => ({
  phase: "during",
  call: "svc.get",
  startMs: 0,
  durationMs: 1,
  ok: true,
  ...over,
});

describe("CallLog", () => {
  it("counts a million calls exactly while keeping at most 50,000 for latency", () => {
    const log = new CallLog(1);
    for (let i = 0; i < 1_000_000; i++)
      log.record(
        call({ durationMs: i % 100, ...(i % 10 === 0 ? { ok: false, code: "CHIP_ERR_CALL_TIMEOUT" } : {}) }),
      );
    expect(log.tally("during")).toEqual({
      total: 1_000_000,
      ok: 900_000,
      fallback: 0,
      failed: 100_000,
      byCode: { CHIP_ERR_CALL_TIMEOUT: 100_000 },
    });
    expect(log.kept("during")).toHaveLength(50_000);
    expect(log.sampled("during")).toBe(true);
    // A uniform sample: about a tenth of the kept calls are the failed ones.
    const failedKept = log.kept("during").filter((c) => !c.ok).length;
    expect(failedKept).toBeGreaterThan(4_000);
    expect(failedKept).toBeLessThan(6_000);
  });

  it("keeps the same sample for the same seed", () => {
    const run = (seed: number) => {
      const log = new CallLog(seed);
      for (let i = 0; i < 60_000; i++) log.record(call({ startMs: i }));
      return log.kept("during").map((c) => c.startMs);
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });

  it("tallies by phase and by load, fallbacks apart", () => {
    const log = new CallLog(1);
    log.record(call({ phase: "before" }));
    log.record(call({ call: "svc.put", answeredBy: "backup" }));
    log.record(call({ call: "svc.put", ok: false, code: "CHIP_ERR_BREAKER_OPEN" }));
    expect(log.tally("before").total).toBe(1);
    expect(log.tally("during", "svc.put")).toEqual({
      total: 2,
      ok: 0,
      fallback: 1,
      failed: 1,
      byCode: { CHIP_ERR_BREAKER_OPEN: 1 },
    });
    expect(log.tally("during", "svc.get").total).toBe(0);
  });

  it("recovers at the first of ten calls in a row answered by their module after the faults", () => {
    const log = new CallLog(1);
    log.faultsEndAt(1_000);
    log.record(call({ startMs: 900, ok: false })); // before the end: ignored
    for (let i = 0; i < 5; i++) log.record(call({ startMs: 1_010 + i }));
    log.record(call({ startMs: 1_020, answeredBy: "backup" })); // a fallback breaks the run
    expect(log.recoveryMs).toBeNull();
    for (let i = 0; i < 10; i++) log.record(call({ startMs: 1_050 + i }));
    expect(log.recoveryMs).toBe(50);
  });
});
