import { describe, expect, it } from "vitest";
import { ErrorCodes, ManualClock, type Runtime } from "../../src/index.js";
import { chaosOf } from "../../src/chaos.js";
import type { FaultTarget } from "../../src/chaos/faults.js";
import { chaosHarness, failure, flush, inline, isolated, settleTimes, watch } from "./faultFixtures.js";

const h = chaosHarness();

/** A runtime with the inline module `svc` (`echo` answers its argument) running on a manual clock. */
async function svcOnClock(calls: { timeoutMs?: number } = {}): Promise<{ rt: Runtime; clock: ManualClock }> {
  const clock = new ManualClock();
  const rt = h.open({ clock });
  inline(rt, "svc", { echo: (x: unknown) => x }, { calls });
  await rt.start("svc");
  return { rt, clock };
}

describe("chaos switched off", () => {
  it("refuses to inject or crash anything until enable(seed), and with no fault in place leaves calls untouched", async () => {
    const rt = h.open();
    let served = 0;
    inline(rt, "svc", { echo: (x: unknown) => (served++, x) });
    expect(chaosOf(rt).enabled).toBe(false);
    expect(() => chaosOf(rt).inject({ kind: "error", target: { module: "svc" } })).toThrow(
      expect.objectContaining({ code: ErrorCodes.OPTIONS_INVALID }),
    );
    expect(() => chaosOf(rt).crash({ module: "svc" })).toThrow(
      expect.objectContaining({ code: ErrorCodes.OPTIONS_INVALID }),
    );
    expect(chaosOf(rt).counts()).toEqual([]);
    expect(await rt.call("svc", "echo", [1])).toBe(1);

    chaosOf(rt).enable(42);
    expect(chaosOf(rt).enabled).toBe(true);
    expect(chaosOf(rt).active).toBe(false); // nothing in place: the call path does not ask chaos
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => rt.call("svc", "echo", [i])));
    expect(answers).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(served).toBe(201);

    // Once on, a fault does go in (so the refusals above were chaos being off, nothing else).
    const fault = chaosOf(rt).inject({ kind: "error", target: { module: "svc" } });
    expect((await failure(rt.call("svc", "echo", [1]))).cause?.code).toBe(ErrorCodes.CHAOS_FAULT);
    fault.dispose();
    expect(await rt.call("svc", "echo", [2])).toBe(2);
    expect(served).toBe(202); // the failed call never reached the module
  });

  it("refuses a percentage outside 0 to 100", () => {
    const rt = h.open();
    chaosOf(rt).enable(1);
    for (const percent of [-1, 101, Number.NaN])
      expect(() => chaosOf(rt).inject({ kind: "error", percent })).toThrow(
        expect.objectContaining({ code: ErrorCodes.OPTIONS_INVALID }),
      );
    expect(chaosOf(rt).counts()).toEqual([]);
  });
});

describe("errors", () => {
  /** The indices of 1000 calls that failed with a 30% error fault under `seed`. */
  async function failedIndices(seed: number): Promise<number[]> {
    const rt = h.open();
    inline(rt, "svc", { echo: (x: unknown) => x });
    await rt.start("svc");
    chaosOf(rt).enable(seed);
    const fault = chaosOf(rt).inject({
      kind: "error",
      percent: 30,
      message: "injected",
      target: { module: "svc" },
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 1000 }, (_, i) => rt.call("svc", "echo", [i])),
    );
    const failed: number[] = [];
    outcomes.forEach((o, i) => {
      if (o.status === "fulfilled") return expect(o.value).toBe(i);
      expect(o.reason).toMatchObject({
        code: ErrorCodes.CALL_FAILED,
        cause: { code: ErrorCodes.CHAOS_FAULT },
      });
      failed.push(i);
    });
    expect(fault.injected).toBe(failed.length);
    await rt.close();
    return failed;
  }

  it("fails close to 30% of 1000 calls with CALL_FAILED caused by CHAOS_FAULT, the same calls under the same seed", async () => {
    const first = await failedIndices(11);
    expect(first.length).toBeGreaterThanOrEqual(250);
    expect(first.length).toBeLessThanOrEqual(350);
    expect(await failedIndices(11)).toEqual(first);
    expect(await failedIndices(12)).not.toEqual(first);
  });
});

describe("targeting", () => {
  const everyCall = ["alpha.a", "alpha.b", "beta.a", "beta.b", "gamma.ping"];
  it.each<[string, FaultTarget, string[]]>([
    ["module alpha", { module: "alpha" }, ["alpha.a", "alpha.b"]],
    ["method b", { method: "b" }, ["alpha.b", "beta.b"]],
    ["module alpha's method a", { module: "alpha", method: "a" }, ["alpha.a"]],
    ["exact version 1.2.0", { version: "1.2.0" }, ["alpha.a", "alpha.b"]],
    ["version range ^2.0.0", { version: "^2.0.0" }, ["beta.a", "beta.b"]],
    ["worker hosts", { host: "worker" }, ["gamma.ping"]],
    [
      "inline hosts at version >=1.0.0 <2.0.0",
      { host: "inline", version: ">=1.0.0 <2.0.0" },
      ["alpha.a", "alpha.b"],
    ],
  ])("a fault aimed at %s fails those calls and no other", async (_, target, fails) => {
    isolated(h.ws, "gamma", "worker", {}, "1.0.0");
    const rt = h.open();
    inline(rt, "alpha", { a: () => "alpha.a", b: () => "alpha.b" }, {}, "1.2.0");
    inline(rt, "beta", { a: () => "beta.a", b: () => "beta.b" }, {}, "2.0.0");
    for (const id of ["alpha", "beta", "gamma"]) await rt.start(id);
    chaosOf(rt).enable(3);
    const fault = chaosOf(rt).inject({ kind: "error", target });
    const failed: string[] = [];
    for (const call of everyCall) {
      const [id, method] = call.split(".") as [string, string];
      const outcome = await rt.callDetailed(id, method);
      if (outcome.ok) expect(outcome.value).toBe(id === "gamma" ? "pong" : call);
      else {
        expect(outcome.error).toMatchObject({ cause: { code: ErrorCodes.CHAOS_FAULT } });
        failed.push(call);
      }
    }
    expect(failed).toEqual(fails);
    expect(fault.injected).toBe(fails.length);
  });
});

describe("hangs", () => {
  it("never answers a hung call until its timeout fails it with CALL_TIMEOUT", async () => {
    const { rt, clock } = await svcOnClock({ timeoutMs: 500 });
    chaosOf(rt).enable(1);
    chaosOf(rt).inject({ kind: "hang", target: { module: "svc" } });
    const hung = watch(rt.call("svc", "echo", [1]));
    expect(await settleTimes(clock, [hung])).toEqual([500]);
    expect(hung.error).toMatchObject({ code: ErrorCodes.CALL_TIMEOUT });
  });

  it("fails a hung call when the runtime closes, instead of leaving its caller waiting for good", async () => {
    const { rt, clock } = await svcOnClock({ timeoutMs: 500 });
    chaosOf(rt).enable(1);
    chaosOf(rt).inject({ kind: "hang", target: { module: "svc" } });
    const hung = watch(rt.call("svc", "echo", [1]));
    await flush();
    await rt.close();
    clock.advance(1000); // past the call's own timeout too
    await flush();
    expect(hung.settled).toBe(true);
    expect(hung.error).toMatchObject({ code: expect.stringMatching(/^CHIP_ERR_/) as unknown });
  });

  it("never answers a hung call with no timeout until the caller's signal aborts it", async () => {
    const { rt, clock } = await svcOnClock();
    chaosOf(rt).enable(1);
    chaosOf(rt).inject({ kind: "hang", target: { module: "svc" } });
    const caller = new AbortController();
    const hung = watch(rt.call("svc", "echo", [1], { signal: caller.signal }));
    clock.advance(3_600_000);
    await flush();
    expect(hung.settled).toBe(false);
    const reason = new Error("the user gave up");
    caller.abort(reason);
    await hung.done;
    expect(hung.error).toMatchObject({ code: ErrorCodes.ABORTED, cause: reason });
  });
});
