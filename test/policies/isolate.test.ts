import { describe, expect, it } from "vitest";
import { ErrorCodes, type Runtime } from "../../src/index.js";
import { collect, failure, inline, policyHarness } from "./fixtures.js";

const h = policyHarness();

/** A module with two methods that count their invocations; `b` fails while `failing`. */
function counted(rt: Runtime, calls?: object) {
  const state = { a: 0, b: 0, failing: false };
  inline(
    rt,
    "counted",
    {
      a: () => ++state.a,
      b: () => {
        state.b++;
        if (state.failing) throw new Error("b failed");
        return state.b;
      },
    },
    calls === undefined ? {} : { calls },
  );
  return state;
}

describe("runtime.policies.isolate", () => {
  it("refuses every call with CHIP_ERR_BREAKER_OPEN (state isolated) until disposed, for a module with no breaker", async () => {
    const { rt, clock } = h.openManual();
    const state = counted(rt);
    expect(await rt.call("counted", "a")).toBe(1);
    const isolated = collect(rt, "breaker.isolated");
    const closed = collect(rt, "breaker.closed");
    const hold = rt.policies.isolate("counted");
    for (const method of ["a", "b"]) {
      const err = await failure(rt.call("counted", method));
      expect(err.code).toBe(ErrorCodes.BREAKER_OPEN);
      expect(err.details).toMatchObject({ method, state: "isolated" });
      expect(err.message).toContain("isolated by hand");
    }
    clock.advance(60_000); // an isolation does not wear off
    expect((await failure(rt.call("counted", "a"))).details.state).toBe("isolated");
    expect(state).toMatchObject({ a: 1, b: 0 });
    expect(isolated).toEqual([{ id: "counted" }]);
    expect(rt.policies.breakers()).toEqual([{ id: "counted", state: "isolated" }]);
    hold.dispose();
    expect(await rt.call("counted", "a")).toBe(2);
    expect(await rt.call("counted", "b")).toBe(1);
    expect(closed).toEqual([{ id: "counted", from: "isolated" }]);
    // The breaker made only for the isolation is gone with it.
    expect(rt.policies.breakers()).toEqual([]);
  });

  it("isolates one method only, when given one", async () => {
    const { rt } = h.openManual();
    const state = counted(rt);
    const hold = rt.policies.isolate("counted", "b");
    const err = await failure(rt.call("counted", "b"));
    expect(err.code).toBe(ErrorCodes.BREAKER_OPEN);
    expect(err.details).toMatchObject({ method: "b", state: "isolated" });
    expect(await rt.call("counted", "a")).toBe(1);
    expect(rt.policies.breakers()).toEqual([{ id: "counted", method: "b", state: "isolated" }]);
    hold.dispose();
    expect(await rt.call("counted", "b")).toBe(1);
    expect(state).toMatchObject({ a: 1, b: 1 });
  });

  it("holds a configured breaker open past openMs, and releases it closed with a clean slate", async () => {
    const { rt, clock } = h.openManual();
    const state = counted(rt, { breaker: { consecutiveFailures: 2, failureRate: 0, openMs: 1_000 } });
    state.failing = true;
    expect((await failure(rt.call("counted", "b"))).code).toBe(ErrorCodes.CALL_FAILED); // 1 failure of 2
    const hold = rt.policies.isolate("counted");
    clock.advance(5_000);
    expect((await failure(rt.call("counted", "b"))).details.state).toBe("isolated");
    expect(state.b).toBe(1);
    hold.dispose();
    expect(rt.policies.breakers()).toEqual([{ id: "counted", state: "closed" }]);
    // The failure before the isolation was forgotten: one more does not open it.
    expect((await failure(rt.call("counted", "b"))).code).toBe(ErrorCodes.CALL_FAILED);
    expect(rt.policies.breakers()).toEqual([{ id: "counted", state: "closed" }]);
    expect((await failure(rt.call("counted", "b"))).code).toBe(ErrorCodes.CALL_FAILED);
    expect(rt.policies.breakers()).toMatchObject([{ id: "counted", state: "open" }]);
  });

  it("is answered by the module's fallback like an open breaker", async () => {
    const { rt } = h.openManual();
    const state = counted(rt);
    rt.policies.fallback("counted", "*", (err) => `fallback after ${err.code}`);
    rt.policies.isolate("counted");
    expect(await rt.callDetailed("counted", "a")).toMatchObject({
      ok: true,
      value: `fallback after ${ErrorCodes.BREAKER_OPEN}`,
      answeredBy: "handler",
    });
    expect(state.a).toBe(0);
  });
});
