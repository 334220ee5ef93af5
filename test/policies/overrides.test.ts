import { describe, expect, it } from "vitest";
import { createRuntime, ErrorCodes, type ManualClock, type Runtime } from "../../src/index.js";
import { currentCall } from "../../src/module.js";
import { deferred, failure, flush, inline, policyHarness, watch, type Deferred } from "./fixtures.js";

const h = policyHarness();

type Override = Parameters<Runtime["policies"]["set"]>[1];

/** A module whose `wait` answers when the test releases it, or fails once its signal aborts. */
function waiter(rt: Runtime, name = "waiter", calls?: Override) {
  const pending: Deferred<string>[] = [];
  inline(
    rt,
    name,
    {
      wait: () => {
        const { signal } = currentCall()!;
        const d = deferred<string>();
        pending.push(d);
        signal.addEventListener("abort", () => d.reject(new Error("given up")));
        return d.promise;
      },
    },
    calls === undefined ? {} : { calls },
  );
  return { release: (value = "answered") => pending.at(-1)!.resolve(value) };
}

/** Asserts that a call to `id.wait` times out after exactly `ms` (and not a millisecond before). */
async function timesOutAfter(rt: Runtime, clock: ManualClock, ms: number, id = "waiter"): Promise<void> {
  const call = watch(rt.call(id, "wait"));
  await flush(); // the first call of a module loads it first
  clock.advance(ms - 1);
  await flush();
  expect(call.settled, `timed out before ${ms} ms`).toBe(false);
  clock.advance(1);
  expect((await failure(call.promise)).code).toBe(ErrorCodes.CALL_TIMEOUT);
}

/** Asserts that a call to `id.wait` is still running after a long time, then answers when released. */
async function neverTimesOut(
  rt: Runtime,
  clock: ManualClock,
  release: () => void,
  id = "waiter",
): Promise<void> {
  const call = watch(rt.call(id, "wait"));
  await flush();
  clock.advance(100_000);
  await flush();
  expect(call.settled, "the call timed out").toBe(false);
  release();
  expect(await call.promise).toBe("answered");
}

describe("runtime.policies.set and reset", () => {
  it("adds a timeout to a module that has none, and reset removes it", async () => {
    const { rt, clock } = h.openManual();
    const m = waiter(rt);
    await neverTimesOut(rt, clock, m.release);
    rt.policies.set("waiter", { timeoutMs: 50 });
    expect(rt.policies.effective("waiter", "wait").timeoutMs).toBe(50);
    await timesOutAfter(rt, clock, 50);
    rt.policies.reset("waiter");
    expect(rt.policies.effective("waiter", "wait").timeoutMs).toBe(0);
    await neverTimesOut(rt, clock, m.release);
  });

  it("overrides the manifest's calls, which apply again after reset", async () => {
    const { rt, clock } = h.openManual();
    waiter(rt, "waiter", { timeoutMs: 50 });
    await timesOutAfter(rt, clock, 50);
    rt.policies.set("waiter", { methods: { wait: { timeoutMs: 200 } } });
    await timesOutAfter(rt, clock, 200);
    rt.policies.reset("waiter");
    await timesOutAfter(rt, clock, 50);
  });

  it("replaces the previous override as a whole", async () => {
    const { rt, clock } = h.openManual();
    const m = waiter(rt);
    rt.policies.set("waiter", { timeoutMs: 50 });
    rt.policies.set("waiter", { idempotent: true });
    expect(rt.policies.effective("waiter", "wait")).toMatchObject({ timeoutMs: 0 });
    await neverTimesOut(rt, clock, m.release);
  });

  it.each<[string, Override, string]>([
    ["retry.maxAttempts: 0", { timeoutMs: 500, retry: { maxAttempts: 0 } }, "calls.retry.maxAttempts"],
    ['timeoutMs: "x"', { timeoutMs: "x" } as unknown as Override, "calls.timeoutMs"],
    ["breaker.openMs: -1", { breaker: { openMs: -1 } }, "calls.breaker.openMs"],
    ["an unknown field", { timeout: 5 } as unknown as Override, "calls.timeout"],
    [
      "methods.wait.bulkhead.maxConcurrent: 0",
      { methods: { wait: { bulkhead: { maxConcurrent: 0 } } } },
      "calls.methods.wait.bulkhead.maxConcurrent",
    ],
  ])(
    "refuses a malformed override (%s) with CHIP_ERR_POLICY_INVALID naming the field, and nothing changes",
    async (_, bad, field) => {
      const { rt, clock } = h.openManual();
      waiter(rt);
      rt.policies.set("waiter", { timeoutMs: 50 });
      const before = rt.policies.effective("waiter", "wait");
      let thrown: unknown;
      try {
        rt.policies.set("waiter", bad);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({ code: ErrorCodes.POLICY_INVALID, details: { field } });
      expect((thrown as Error).message).toContain(`"${field}"`);
      expect((thrown as Error).message).toContain('runtime.policies.set("waiter")');
      expect(rt.policies.effective("waiter", "wait")).toEqual(before);
      await timesOutAfter(rt, clock, 50);
    },
  );
});

describe("createRuntime policy options", () => {
  it("applies `policies` per module id over the manifest, until reset", async () => {
    const { rt, clock } = h.openManual({ policies: { waiter: { timeoutMs: 30 } } });
    waiter(rt, "waiter", { timeoutMs: 1_000 });
    waiter(rt, "other", { timeoutMs: 1_000 });
    await timesOutAfter(rt, clock, 30);
    await timesOutAfter(rt, clock, 1_000, "other");
    rt.policies.reset("waiter");
    await timesOutAfter(rt, clock, 1_000);
  });

  it("applies `calls` defaults to every module, below each manifest's calls", async () => {
    const { rt, clock } = h.openManual({ calls: { timeoutMs: 40 } });
    waiter(rt, "plain");
    waiter(rt, "patient", { timeoutMs: 80 });
    const free = waiter(rt, "free", { timeoutMs: 0 });
    await timesOutAfter(rt, clock, 40, "plain");
    await timesOutAfter(rt, clock, 80, "patient");
    await neverTimesOut(rt, clock, free.release, "free");
  });

  it("refuses malformed `policies` and `calls` options with CHIP_ERR_POLICY_INVALID naming where and which field", () => {
    const dataDir = h.ws.dataDir;
    expect(() => createRuntime({ dataDir, policies: { waiter: { timeoutMs: -1 } } })).toThrow(
      expect.objectContaining({
        code: ErrorCodes.POLICY_INVALID,
        details: expect.objectContaining({
          where: 'options.policies["waiter"]',
          field: "calls.timeoutMs",
        }) as unknown,
      }),
    );
    expect(() => createRuntime({ dataDir, calls: { retry: { jitter: 2 } } })).toThrow(
      expect.objectContaining({
        code: ErrorCodes.POLICY_INVALID,
        details: expect.objectContaining({ where: "options.calls", field: "calls.retry.jitter" }) as unknown,
      }),
    );
  });
});
