import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../../src/index.js";
import { currentCall } from "../../src/module.js";
import { collect, deferred, failure, hangingModuleCode, inline, policyHarness, watch } from "./fixtures.js";

const h = policyHarness();

/** An api method that waits until its call's signal aborts, then rejects with the reason; `entered` gets the signal. */
function waitForAbort(entered: { resolve(signal: AbortSignal): void }) {
  return () => {
    const { signal } = currentCall()!;
    entered.resolve(signal);
    return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error)));
  };
}

describe("a manifest calls.timeoutMs on an inline module", () => {
  it("fails a call still running after timeoutMs with CHIP_ERR_CALL_TIMEOUT, and the module's signal aborts then", async () => {
    const { rt, clock } = h.openManual();
    const entered = deferred<AbortSignal>();
    inline(rt, "slow", { wait: waitForAbort(entered) }, { calls: { timeoutMs: 100 } });
    const timeouts = collect(rt, "call.timeout");
    const call = watch(rt.call("slow", "wait"));
    const signal = await entered.promise;
    clock.advance(99);
    expect(signal.aborted).toBe(false);
    expect(timeouts).toEqual([]);
    clock.advance(1);
    expect(signal.aborted).toBe(true);
    const err = await failure(call.promise);
    expect(err.code).toBe(ErrorCodes.CALL_TIMEOUT);
    expect(err.message).toContain("did not answer within 100 ms");
    expect(err.details).toMatchObject({ method: "wait", timeoutMs: 100, attempt: 1 });
    expect((signal.reason as { code?: string }).code).toBe(ErrorCodes.CALL_TIMEOUT);
    expect(timeouts).toEqual([{ id: "slow", method: "wait", attempt: 1, timeoutMs: 100 }]);
  });

  it("lets a call that answers within timeoutMs through, and its signal never aborts", async () => {
    const { rt, clock } = h.openManual();
    const release = deferred<string>();
    let signal: AbortSignal | undefined;
    inline(
      rt,
      "slow",
      {
        work: () => {
          signal = currentCall()!.signal;
          return release.promise;
        },
      },
      { calls: { timeoutMs: 100 } },
    );
    await rt.start("slow");
    const call = watch(rt.call("slow", "work"));
    clock.advance(99);
    release.resolve("done");
    expect(await call.promise).toBe("done");
    clock.advance(1_000);
    expect(signal?.aborted).toBe(false);
  });

  it("applies a method's own timeoutMs over the module-wide one", async () => {
    const { rt, clock } = h.openManual();
    const quick = deferred<AbortSignal>();
    const patient = deferred<AbortSignal>();
    inline(
      rt,
      "slow",
      { quick: waitForAbort(quick), patient: waitForAbort(patient) },
      { calls: { timeoutMs: 50, methods: { patient: { timeoutMs: 500 } } } },
    );
    await rt.start("slow");
    const first = watch(rt.call("slow", "quick"));
    const second = watch(rt.call("slow", "patient"));
    const [quickSignal, patientSignal] = await Promise.all([quick.promise, patient.promise]);
    clock.advance(50);
    expect(quickSignal.aborted).toBe(true);
    expect(patientSignal.aborted).toBe(false);
    expect((await failure(first.promise)).details).toMatchObject({ method: "quick", timeoutMs: 50 });
    clock.advance(450);
    expect((await failure(second.promise)).details).toMatchObject({ method: "patient", timeoutMs: 500 });
  });
});

describe.each(["worker", "process"] as const)("a manifest calls.timeoutMs on a %s module", (isolation) => {
  it("fails a call that never answers with CHIP_ERR_CALL_TIMEOUT, and the cancel reaches the module's signal", async () => {
    h.ws.module({
      name: "hanger",
      chipset: { isolation, calls: { methods: { hang: { timeoutMs: 100 } } } },
      code: hangingModuleCode,
    });
    const rt = h.open();
    await rt.start("hanger");
    const timeouts = collect(rt, "call.timeout");
    const err = await failure(rt.call("hanger", "hang"));
    expect(err.code).toBe(ErrorCodes.CALL_TIMEOUT);
    expect(err.context).toMatchObject({ id: "hanger", version: "1.0.0", method: "hang", host: isolation });
    expect(timeouts).toEqual([{ id: "hanger", method: "hang", attempt: 1, timeoutMs: 100 }]);
    // The module answers this once its `hang` call saw the abort (the cancel crossed the boundary).
    expect(await rt.call("hanger", "whenAborted")).toEqual({
      method: "hang",
      code: ErrorCodes.CALL_TIMEOUT,
      message: expect.stringContaining("timed out") as string,
    });
    // The module still serves: the timed-out call freed its place.
    expect((await failure(rt.call("hanger", "fail"))).code).toBe(ErrorCodes.CALL_FAILED);
  });
});
