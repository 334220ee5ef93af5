import { describe, expect, it } from "vitest";
import { ErrorCodes, type Runtime } from "../../src/index.js";
import { collect, failure, inline, policyHarness } from "./fixtures.js";

const h = policyHarness();

/** A module whose `get` fails while `state.failing`, and counts its invocations. */
function unstable(
  rt: Runtime,
  calls: object = { breaker: { consecutiveFailures: 3, failureRate: 0, openMs: 1_000 } },
) {
  const state = { failing: true, invocations: 0 };
  inline(
    rt,
    "unstable",
    {
      get: () => {
        state.invocations++;
        if (state.failing) throw new Error("the backend is down");
        return "fine";
      },
      other: () => "other",
    },
    { calls },
  );
  return state;
}

async function failTimes(rt: Runtime, n: number): Promise<void> {
  for (let i = 0; i < n; i++)
    expect((await failure(rt.call("unstable", "get"))).code).toBe(ErrorCodes.CALL_FAILED);
}

describe("the circuit breaker", () => {
  it("opens after N consecutive failures and refuses calls with CHIP_ERR_BREAKER_OPEN without reaching the module", async () => {
    const { rt } = h.openManual();
    const state = unstable(rt);
    const opened = collect(rt, "breaker.opened");
    await failTimes(rt, 2);
    expect(opened).toEqual([]);
    expect(rt.policies.breakers()).toEqual([{ id: "unstable", state: "closed" }]);
    await failTimes(rt, 1);
    expect(opened).toEqual([
      { id: "unstable", reason: "consecutive-failures", failures: 3, rate: 1, openMs: 1_000 },
    ]);
    state.failing = false; // the module would answer now, but is not asked
    for (const method of ["get", "other"]) {
      const err = await failure(rt.call("unstable", method));
      expect(err.code).toBe(ErrorCodes.BREAKER_OPEN);
      expect(err.details).toMatchObject({ method, state: "open", retryAt: 1_000 });
      expect(err.message).toContain("unstable");
    }
    expect(state.invocations).toBe(3);
    expect(rt.policies.breakers()).toEqual([{ id: "unstable", state: "open", retryAt: 1_000 }]);
  });

  it("lets a probe through after openMs, and closes when it succeeds", async () => {
    const { rt, clock } = h.openManual();
    const state = unstable(rt);
    const halfOpen = collect(rt, "breaker.half-open");
    const closed = collect(rt, "breaker.closed");
    await failTimes(rt, 3);
    state.failing = false;
    clock.advance(999);
    expect((await failure(rt.call("unstable", "get"))).code).toBe(ErrorCodes.BREAKER_OPEN);
    expect(state.invocations).toBe(3);
    clock.advance(1);
    expect(await rt.call("unstable", "get")).toBe("fine");
    expect(state.invocations).toBe(4);
    expect(halfOpen).toEqual([{ id: "unstable" }]);
    expect(closed).toEqual([{ id: "unstable", from: "half-open" }]);
    expect(rt.policies.breakers()).toEqual([{ id: "unstable", state: "closed" }]);
    expect(await rt.call("unstable", "other")).toBe("other");
  });

  it("opens again when the probe fails, for another openMs", async () => {
    const { rt, clock } = h.openManual();
    const state = unstable(rt);
    const opened = collect(rt, "breaker.opened");
    await failTimes(rt, 3);
    clock.advance(1_000);
    await failTimes(rt, 1); // the probe
    expect(state.invocations).toBe(4);
    expect(opened.map((e) => e.reason)).toEqual(["consecutive-failures", "probe-failed"]);
    expect(rt.policies.breakers()).toEqual([{ id: "unstable", state: "open", retryAt: 2_000 }]);
    expect((await failure(rt.call("unstable", "get"))).code).toBe(ErrorCodes.BREAKER_OPEN);
    expect(state.invocations).toBe(4);
  });

  it("is not tripped by calls to methods that do not exist (they say nothing about the module's health)", async () => {
    const { rt } = h.openManual();
    const state = unstable(rt);
    for (let i = 0; i < 5; i++)
      expect((await failure(rt.call("unstable", "nope"))).code).toBe(ErrorCodes.METHOD_NOT_FOUND);
    state.failing = false;
    expect(await rt.call("unstable", "get")).toBe("fine");
    expect(rt.policies.breakers()).toEqual([{ id: "unstable", state: "closed" }]);
  });

  it("starts counting again after a success: only failures in a row open it", async () => {
    const { rt } = h.openManual();
    const state = unstable(rt);
    await failTimes(rt, 2);
    state.failing = false;
    expect(await rt.call("unstable", "get")).toBe("fine");
    state.failing = true;
    await failTimes(rt, 2);
    expect(rt.policies.breakers()).toEqual([{ id: "unstable", state: "closed" }]);
    await failTimes(rt, 1);
    expect(rt.policies.breakers()).toEqual([{ id: "unstable", state: "open", retryAt: 1_000 }]);
  });

  it("keeps a method's own breaker apart from its siblings'", async () => {
    const { rt } = h.openManual();
    const state = unstable(rt, {
      methods: { get: { breaker: { consecutiveFailures: 2, failureRate: 0, openMs: 1_000 } } },
    });
    await failTimes(rt, 2);
    expect((await failure(rt.call("unstable", "get"))).code).toBe(ErrorCodes.BREAKER_OPEN);
    expect(await rt.call("unstable", "other")).toBe("other");
    expect(state.invocations).toBe(2);
    expect(rt.policies.breakers()).toEqual([
      { id: "unstable", method: "get", state: "open", retryAt: 1_000 },
    ]);
  });
});
