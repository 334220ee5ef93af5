import { describe, expect, it } from "vitest";
import { ErrorCodes, type Runtime } from "../../src/index.js";
import { currentCall } from "../../src/module.js";
import {
  collect,
  deferred,
  failure,
  flush,
  inline,
  policyHarness,
  watch,
  type Deferred,
} from "./fixtures.js";

const h = policyHarness();

/**
 * A module whose `work(n)` (and `hold(n)`) runs until the test releases call n or its signal aborts;
 * records who entered and the most running at once.
 */
function pool(rt: Runtime, calls: object) {
  const state = {
    entered: [] as number[],
    running: 0,
    maxRunning: 0,
    releases: new Map<number, Deferred<void>>(),
    arrivals: new Map<number, Deferred<void>>(),
    /** Calls whose signal aborted while they ran. */
    aborted: [] as number[],
  };
  const slot = (map: Map<number, Deferred<void>>, n: number) => {
    if (!map.has(n)) map.set(n, deferred());
    return map.get(n)!;
  };
  const work = async (n: number) => {
    const { signal } = currentCall()!;
    state.entered.push(n);
    state.maxRunning = Math.max(state.maxRunning, ++state.running);
    slot(state.arrivals, n).resolve();
    // A well-behaved module stops when its call is given up (so nothing is left running at close).
    const abandoned = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    try {
      await Promise.race([slot(state.releases, n).promise, abandoned]);
    } finally {
      state.running--;
    }
    if (signal.aborted) {
      state.aborted.push(n);
      throw new Error(`call ${n} was given up`);
    }
    return `done ${n}`;
  };
  inline(rt, "pool", { work, hold: work }, { calls });
  return {
    state,
    /** Resolves once call n is inside the module. */
    arrived: (n: number) => slot(state.arrivals, n).promise,
    release: (n: number) => slot(state.releases, n).resolve(),
  };
}

describe("the bulkhead", () => {
  it("runs 2 at once, queues 1, refuses a 4th at once with CHIP_ERR_BULKHEAD_FULL, then runs the queued one when a slot frees", async () => {
    const { rt } = h.openManual();
    const m = pool(rt, { bulkhead: { maxConcurrent: 2, maxQueue: 1 } });
    await rt.start("pool");
    const rejected = collect(rt, "bulkhead.rejected");
    const one = watch(rt.call("pool", "work", [1]));
    const two = watch(rt.call("pool", "work", [2]));
    const three = watch(rt.call("pool", "work", [3]));
    await Promise.all([m.arrived(1), m.arrived(2)]);
    const err = await failure(rt.call("pool", "work", [4]));
    expect(err.code).toBe(ErrorCodes.BULKHEAD_FULL);
    expect(err.details).toMatchObject({ method: "work", maxConcurrent: 2, maxQueue: 1 });
    expect(rejected).toEqual([{ id: "pool", method: "work", active: 2, queued: 1 }]);
    // Refused while nothing had finished: 1 and 2 still run, 3 still waits.
    await flush();
    expect(m.state.entered).toEqual([1, 2]);
    expect([one.settled, two.settled, three.settled]).toEqual([false, false, false]);
    m.release(1);
    await m.arrived(3);
    expect(await one.promise).toBe("done 1");
    expect(m.state.entered).toEqual([1, 2, 3]);
    m.release(2);
    m.release(3);
    expect(await Promise.all([two.promise, three.promise])).toEqual(["done 2", "done 3"]);
    expect(m.state.maxRunning).toBe(2);
    expect(m.state.entered).not.toContain(4);
  });

  it("takes calls again once the queue drains, and never lets more than maxConcurrent into the module", async () => {
    const { rt } = h.openManual();
    const m = pool(rt, { bulkhead: { maxConcurrent: 2, maxQueue: 3 } });
    await rt.start("pool");
    const calls = [1, 2, 3, 4, 5].map((n) => rt.call("pool", "work", [n]));
    const sixth = await failure(rt.call("pool", "work", [6]));
    expect(sixth.code).toBe(ErrorCodes.BULKHEAD_FULL);
    // Release each call as soon as it is inside: the queue hands slots over one by one, in order.
    for (const n of [1, 2, 3, 4, 5]) {
      await m.arrived(n);
      m.release(n);
    }
    expect(await Promise.all(calls)).toEqual(["done 1", "done 2", "done 3", "done 4", "done 5"]);
    expect(m.state.entered).toEqual([1, 2, 3, 4, 5]);
    expect(m.state.maxRunning).toBe(2);
    const seventh = watch(rt.call("pool", "work", [7]));
    await m.arrived(7);
    m.release(7);
    expect(await seventh.promise).toBe("done 7");
  });

  it("counts the time a call waits in the queue against its timeout", async () => {
    const { rt, clock } = h.openManual();
    const m = pool(rt, { timeoutMs: 100, bulkhead: { maxConcurrent: 1, maxQueue: 1 } });
    await rt.start("pool");
    const one = watch(rt.call("pool", "work", [1]));
    await m.arrived(1);
    clock.advance(50);
    const two = watch(rt.call("pool", "work", [2]));
    clock.advance(49);
    m.release(1);
    expect(await one.promise).toBe("done 1");
    await m.arrived(2); // in the module since t=99, made at t=50
    clock.advance(50);
    await flush();
    expect(two.settled).toBe(false);
    clock.advance(1);
    const err = await failure(two.promise);
    expect(err.code).toBe(ErrorCodes.CALL_TIMEOUT);
    expect(m.state.aborted).toEqual([2]);
  });

  it("fails a call that times out while queued without ever reaching the module, and frees its place", async () => {
    const { rt, clock } = h.openManual();
    const m = pool(rt, {
      timeoutMs: 100,
      bulkhead: { maxConcurrent: 1, maxQueue: 1 },
      methods: { hold: { timeoutMs: 0 } },
    });
    await rt.start("pool");
    const held = watch(rt.call("pool", "hold", [1]));
    await m.arrived(1);
    const queued = watch(rt.call("pool", "work", [2]));
    expect((await failure(rt.call("pool", "work", [9]))).code).toBe(ErrorCodes.BULKHEAD_FULL);
    clock.advance(100);
    expect((await failure(queued.promise)).code).toBe(ErrorCodes.CALL_TIMEOUT);
    const next = watch(rt.call("pool", "work", [3])); // its place is free again
    m.release(1);
    await m.arrived(3);
    m.release(3);
    expect(await Promise.all([held.promise, next.promise])).toEqual(["done 1", "done 3"]);
    expect(m.state.entered).toEqual([1, 3]);
  });
});
