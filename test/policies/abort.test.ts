import { describe, expect, it } from "vitest";
import { ErrorCodes, type Runtime } from "../../src/index.js";
import { currentCall } from "../../src/module.js";
import {
  deferred,
  failure,
  flush,
  hangingModuleCode,
  inline,
  nextEvent,
  policyHarness,
  watch,
  type Deferred,
} from "./fixtures.js";

const h = policyHarness();

/** A module whose `work(n)` runs until released (ignoring its signal, which it records). */
function worker(rt: Runtime, calls: object) {
  const releases = new Map<number, Deferred<void>>();
  const arrivals = new Map<number, Deferred<AbortSignal>>();
  const get = <T>(map: Map<number, Deferred<T>>, n: number) => {
    if (!map.has(n)) map.set(n, deferred<T>());
    return map.get(n)!;
  };
  const entered: number[] = [];
  inline(
    rt,
    "busy",
    {
      work: async (n: number) => {
        entered.push(n);
        get(arrivals, n).resolve(currentCall()!.signal);
        await get(releases, n).promise;
        return `done ${n}`;
      },
    },
    { calls },
  );
  return {
    entered,
    /** The signal call n saw, once it is inside the module. */
    arrived: (n: number) => get(arrivals, n).promise,
    release: (n: number) => get(releases, n).resolve(),
  };
}

describe("the caller's AbortSignal", () => {
  it("ends a call waiting in the bulkhead queue with CHIP_ERR_ABORTED, and frees its place", async () => {
    const { rt } = h.openManual();
    const m = worker(rt, { bulkhead: { maxConcurrent: 1, maxQueue: 1 } });
    await rt.start("busy");
    const one = watch(rt.call("busy", "work", [1]));
    await m.arrived(1);
    const controller = new AbortController();
    const two = watch(rt.call("busy", "work", [2], { signal: controller.signal }));
    expect((await failure(rt.call("busy", "work", [9]))).code).toBe(ErrorCodes.BULKHEAD_FULL);
    controller.abort(new Error("the user left"));
    const err = await failure(two.promise);
    expect(err.code).toBe(ErrorCodes.ABORTED);
    expect((err.cause as Error).message).toBe("the user left");
    const three = watch(rt.call("busy", "work", [3])); // the queue has room again
    m.release(1);
    await m.arrived(3);
    m.release(3);
    expect(await Promise.all([one.promise, three.promise])).toEqual(["done 1", "done 3"]);
    expect(m.entered).toEqual([1, 3]);
  });

  it("ends a call waiting between retries with CHIP_ERR_ABORTED at once, and it is not tried again", async () => {
    const { rt, clock } = h.openManual();
    let invocations = 0;
    inline(
      rt,
      "flaky",
      {
        read: () => {
          invocations++;
          throw new Error("not yet");
        },
      },
      { calls: { idempotent: true, retry: { maxAttempts: 5, initialDelayMs: 1_000, jitter: 0 } } },
    );
    const controller = new AbortController();
    const retrying = nextEvent(rt, "retry.attempt");
    const call = watch(rt.call("flaky", "read", [], { signal: controller.signal }));
    await retrying;
    controller.abort(new Error("enough"));
    const err = await failure(call.promise); // no clock.advance: it ends before the delay is over
    expect(err.code).toBe(ErrorCodes.ABORTED);
    expect((err.cause as Error).message).toBe("enough");
    expect(err.context.attempt).toBe(1);
    clock.advance(60_000);
    await flush();
    expect(invocations).toBe(1);
  });

  it.each([
    ["no timeout", {}],
    ["a timeout", { timeoutMs: 10_000 }],
  ])(
    "ends a call in flight (with %s) with CHIP_ERR_ABORTED, aborts the module's signal, and frees the bulkhead slot",
    async (_, timeout) => {
      const { rt } = h.openManual();
      const m = worker(rt, { ...timeout, bulkhead: { maxConcurrent: 1, maxQueue: 0 } });
      await rt.start("busy");
      const controller = new AbortController();
      const one = watch(rt.call("busy", "work", [1], { signal: controller.signal }));
      const signal = await m.arrived(1);
      expect(signal.aborted).toBe(false);
      const reason = new Error("cancelled by the user");
      controller.abort(reason);
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBe(reason);
      const err = await failure(one.promise);
      expect(err.code).toBe(ErrorCodes.ABORTED);
      expect(err.cause).toBe(reason);
      // The module has not finished call 1, but its caller gave up: the slot is free for call 2.
      const two = watch(rt.call("busy", "work", [2]));
      await m.arrived(2);
      m.release(1);
      m.release(2);
      expect(await two.promise).toBe("done 2");
    },
  );

  it("refuses a call whose signal is already aborted, without reaching the module", async () => {
    const { rt } = h.openManual();
    const m = worker(rt, {});
    const err = await failure(
      rt.call("busy", "work", [1], { signal: AbortSignal.abort(new Error("too late")) }),
    );
    expect(err.code).toBe(ErrorCodes.ABORTED);
    expect(m.entered).toEqual([]);
  });

  it("cancels a call in flight in a worker module: the module's signal aborts across the thread", async () => {
    h.ws.module({ name: "hanger", chipset: { isolation: "worker" }, code: hangingModuleCode });
    const rt = h.open();
    await rt.start("hanger");
    const controller = new AbortController();
    const call = watch(rt.call("hanger", "hang", [], { signal: controller.signal }));
    const aborted = watch(rt.call("hanger", "whenAborted"));
    await flush();
    expect(aborted.settled).toBe(false);
    controller.abort(new Error("stop waiting"));
    const err = await failure(call.promise);
    expect(err.code).toBe(ErrorCodes.ABORTED);
    expect(err.context).toMatchObject({ id: "hanger", host: "worker", method: "hang" });
    expect(await aborted.promise).toMatchObject({ method: "hang", message: "stop waiting" });
  });
});
