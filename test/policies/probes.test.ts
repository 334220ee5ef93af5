import { describe, expect, it } from "vitest";
import { ErrorCodes, type Runtime } from "../../src/index.js";
import { currentCall } from "../../src/module.js";
import { deferred, failure, inline, policyHarness, watch, type Deferred } from "./fixtures.js";

const h = policyHarness();

/**
 * A module-wide breaker (opens after 2 failures for 1 s, one probe) over `get`, which fails while
 * `failing`, and `slow`, which runs until released (or its signal aborts) behind its own bulkhead of 1.
 */
function guarded(rt: Runtime) {
  const state = { failing: true, gets: 0, slows: 0 };
  const releases: Deferred<string>[] = [];
  inline(
    rt,
    "guarded",
    {
      get: () => {
        state.gets++;
        if (state.failing) throw new Error("get failed");
        return "got";
      },
      slow: () => {
        state.slows++;
        const { signal } = currentCall()!;
        const d = deferred<string>();
        releases.push(d);
        signal.addEventListener("abort", () => d.reject(new Error("given up")));
        return d.promise;
      },
    },
    {
      calls: {
        breaker: { consecutiveFailures: 2, failureRate: 0, openMs: 1_000, halfOpenProbes: 1 },
        methods: { slow: { bulkhead: { maxConcurrent: 1, maxQueue: 0 } } },
      },
    },
  );
  return {
    state,
    release: (i: number, value = "slow done") => releases[i]!.resolve(value),
    releaseAll: () => releases.forEach((d) => d.resolve("released")),
  };
}

async function open(rt: Runtime): Promise<void> {
  for (let i = 0; i < 2; i++) await failure(rt.call("guarded", "get"));
  expect(rt.policies.breakers()).toMatchObject([{ state: "open" }]);
}

describe("half-open probes", () => {
  it("refuse other calls while the probe is in flight, and close the breaker when it answers", async () => {
    const { rt, clock } = h.openManual();
    const m = guarded(rt);
    await open(rt);
    clock.advance(1_000);
    const probe = watch(rt.call("guarded", "slow"));
    const err = await failure(rt.call("guarded", "get"));
    expect(err.code).toBe(ErrorCodes.BREAKER_OPEN);
    expect(err.details.state).toBe("half-open");
    m.release(0);
    expect(await probe.promise).toBe("slow done");
    expect(rt.policies.breakers()).toEqual([{ id: "guarded", state: "closed" }]);
  });

  it("whose caller aborted leaves the breaker half-open with the probe free for the next call", async () => {
    const { rt, clock } = h.openManual();
    const m = guarded(rt);
    await open(rt);
    clock.advance(1_000);
    const controller = new AbortController();
    const probe = watch(rt.call("guarded", "slow", [], { signal: controller.signal }));
    controller.abort();
    expect((await failure(probe.promise)).code).toBe(ErrorCodes.ABORTED);
    m.state.failing = false;
    expect(await rt.call("guarded", "get")).toBe("got");
    expect(rt.policies.breakers()).toEqual([{ id: "guarded", state: "closed" }]);
  });

  it("that timed out opens the breaker again", async () => {
    const { rt, clock } = h.openManual();
    guarded(rt);
    rt.policies.set("guarded", { methods: { slow: { timeoutMs: 50 } } });
    await open(rt);
    clock.advance(1_000);
    const probe = watch(rt.call("guarded", "slow"));
    clock.advance(50);
    expect((await failure(probe.promise)).code).toBe(ErrorCodes.CALL_TIMEOUT);
    expect(rt.policies.breakers()).toEqual([{ id: "guarded", state: "open", retryAt: 2_050 }]);
  });

  it("refused by a full bulkhead is not used up: the next call probes", async () => {
    const { rt, clock } = h.openManual();
    const m = guarded(rt);
    await rt.start("guarded");
    const holder = watch(rt.call("guarded", "slow")); // holds the bulkhead's one slot
    await open(rt);
    clock.advance(1_000);
    expect((await failure(rt.call("guarded", "slow"))).code).toBe(ErrorCodes.BULKHEAD_FULL);
    m.state.failing = false;
    expect(await rt.call("guarded", "get")).toBe("got");
    expect(rt.policies.breakers()).toEqual([{ id: "guarded", state: "closed" }]);
    m.release(0);
    expect(await holder.promise).toBe("slow done");
  });
});

describe("a runtime override of the policies", () => {
  it("keeps an open breaker open when it leaves the breaker's settings alone", async () => {
    const { rt, clock } = h.openManual();
    const m = guarded(rt);
    await open(rt);
    rt.policies.set("guarded", { timeoutMs: 500 });
    expect((await failure(rt.call("guarded", "get"))).code).toBe(ErrorCodes.BREAKER_OPEN);
    rt.policies.reset("guarded");
    expect((await failure(rt.call("guarded", "get"))).code).toBe(ErrorCodes.BREAKER_OPEN);
    expect(m.state.gets).toBe(2);
    clock.advance(1_000);
    m.state.failing = false;
    expect(await rt.call("guarded", "get")).toBe("got");
  });

  it("that raises a bulkhead's maxConcurrent lets in only as many calls as the new limit", async () => {
    const { rt } = h.openManual();
    const m = guarded(rt);
    rt.policies.set("guarded", { methods: { slow: { bulkhead: { maxConcurrent: 2, maxQueue: 5 } } } });
    await rt.start("guarded");
    const first = [watch(rt.call("guarded", "slow")), watch(rt.call("guarded", "slow"))];
    expect(m.state.slows).toBe(2);
    rt.policies.set("guarded", { methods: { slow: { bulkhead: { maxConcurrent: 3, maxQueue: 5 } } } });
    const later = [watch(rt.call("guarded", "slow")), watch(rt.call("guarded", "slow"))];
    try {
      // Two already run: the new limit of 3 has room for one more, not two.
      expect(m.state.slows).toBe(3);
      m.release(0);
      await first[0]!.promise;
      expect(m.state.slows).toBe(4); // the queued one took the freed slot
    } finally {
      m.releaseAll();
    }
    expect(await Promise.all([...first, ...later].map((c) => c.promise))).toHaveLength(4);
  });
});
