import { describe, expect, it } from "vitest";
import {
  ErrorCodes,
  type ChipsetError,
  type ErrorCode,
  type ManualClock,
  type Runtime,
} from "../../src/index.js";
import { currentCall } from "../../src/module.js";
import { failure, flush, hangingModuleCode, inline, nextEvent, policyHarness, watch } from "./fixtures.js";

const h = policyHarness();

/** A module whose `fail` throws, `hold` runs until its signal aborts, and `ok` answers. */
function subject(rt: Runtime, calls: object = {}): void {
  inline(
    rt,
    "subject",
    {
      fail: () => {
        throw new Error("boom");
      },
      hold: () => {
        const { signal } = currentCall()!;
        return new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(new Error("given up"))),
        );
      },
      ok: () => "ok",
    },
    { calls },
  );
}

const fullContext = (method: string, attempt = 1) => ({
  id: "subject",
  version: "1.0.0",
  method,
  attempt,
  host: "inline",
  callId: expect.any(Number) as number,
});

describe("the context of a call's error", () => {
  it("names the module, version, method, attempt, host and call of a module's own failure", async () => {
    const { rt } = h.openManual();
    subject(rt);
    const first = await failure(rt.call("subject", "fail"));
    expect(first.code).toBe(ErrorCodes.CALL_FAILED);
    expect(first.context).toEqual(fullContext("fail"));
    const second = await rt.callDetailed("subject", "fail");
    expect(second.error?.context).toEqual(fullContext("fail"));
    expect(second.error?.context.callId).toBe(second.callId);
    expect(second.callId).toBeGreaterThan(first.context.callId!);
  });

  it("counts the attempt that failed last when the call was retried", async () => {
    const { rt, clock } = h.openManual();
    subject(rt, { idempotent: true, retry: { maxAttempts: 2, initialDelayMs: 10, jitter: 0 } });
    const retried = nextEvent(rt, "retry.attempt");
    const call = watch(rt.callDetailed("subject", "fail"));
    await retried;
    clock.advance(10);
    const outcome = await call.promise;
    expect(outcome).toMatchObject({ ok: false, attempts: 2 });
    expect(outcome.error?.context).toEqual(fullContext("fail", 2));
  });

  // Each case makes one call fail with the given code, on a running module.
  const refusals: Array<
    [string, ErrorCode, object, (rt: Runtime, clock: ManualClock) => Promise<ChipsetError>]
  > = [
    [
      "the method does not exist",
      ErrorCodes.METHOD_NOT_FOUND,
      {},
      (rt) => failure(rt.call("subject", "nope")),
    ],
    [
      "the call timed out in the module",
      ErrorCodes.CALL_TIMEOUT,
      { timeoutMs: 5 },
      async (rt, clock) => {
        const call = watch(rt.call("subject", "hold"));
        clock.advance(5);
        return failure(call.promise);
      },
    ],
    [
      "the breaker is open",
      ErrorCodes.BREAKER_OPEN,
      { breaker: { consecutiveFailures: 1, failureRate: 0 } },
      async (rt) => {
        await failure(rt.call("subject", "fail"));
        return failure(rt.call("subject", "ok"));
      },
    ],
    [
      "the bulkhead is full",
      ErrorCodes.BULKHEAD_FULL,
      { timeoutMs: 5, bulkhead: { maxConcurrent: 1, maxQueue: 0 } },
      async (rt, clock) => {
        const held = watch(rt.call("subject", "hold"));
        const err = await failure(rt.call("subject", "ok"));
        clock.advance(5);
        await failure(held.promise);
        return err;
      },
    ],
    [
      "the module is isolated",
      ErrorCodes.BREAKER_OPEN,
      {},
      (rt) => {
        rt.policies.isolate("subject");
        return failure(rt.call("subject", "ok"));
      },
    ],
    [
      "the call timed out in the bulkhead queue",
      ErrorCodes.CALL_TIMEOUT,
      { timeoutMs: 5, bulkhead: { maxConcurrent: 1, maxQueue: 1 }, methods: { hold: { timeoutMs: 0 } } },
      async (rt, clock) => {
        const controller = new AbortController();
        const held = watch(rt.call("subject", "hold", [], { signal: controller.signal }));
        const queued = watch(rt.call("subject", "ok"));
        clock.advance(5);
        const err = await failure(queued.promise);
        controller.abort();
        await failure(held.promise);
        return err;
      },
    ],
    [
      "the caller aborted while queued",
      ErrorCodes.ABORTED,
      { bulkhead: { maxConcurrent: 1, maxQueue: 1 } },
      async (rt) => {
        const first = new AbortController();
        const second = new AbortController();
        const held = watch(rt.call("subject", "hold", [], { signal: first.signal }));
        const queued = watch(rt.call("subject", "ok", [], { signal: second.signal }));
        second.abort();
        const err = await failure(queued.promise);
        first.abort();
        await failure(held.promise);
        return err;
      },
    ],
    [
      "the caller aborted in flight",
      ErrorCodes.ABORTED,
      {},
      async (rt) => {
        const controller = new AbortController();
        const call = watch(rt.call("subject", "hold", [], { signal: controller.signal }));
        await flush();
        controller.abort();
        return failure(call.promise);
      },
    ],
  ];

  it.each(refusals)(
    "is complete when %s (the module runs: its version and host are known)",
    async (_, code, calls, fail) => {
      const { rt, clock } = h.openManual();
      subject(rt, calls);
      await rt.start("subject");
      const err = await fail(rt, clock);
      expect(err.code).toBe(code);
      expect(err.context).toEqual(fullContext(err.context.method ?? "?"));
      expect(err.toJSON().context).toEqual(err.context);
    },
  );
});

describe.each(["worker", "process"] as const)("the context of a %s module's call error", (isolation) => {
  it("names the host it ran in", async () => {
    h.ws.module({ name: "remote", version: "2.3.4", chipset: { isolation }, code: hangingModuleCode });
    const rt = h.open();
    const err = await failure(rt.call("remote", "fail"));
    expect(err.code).toBe(ErrorCodes.CALL_FAILED);
    expect((err.cause as Error).message).toBe("the disk is full");
    expect(err.context).toEqual({
      id: "remote",
      version: "2.3.4",
      method: "fail",
      attempt: 1,
      host: isolation,
      callId: expect.any(Number) as number,
    });
  });
});

describe("runtime.callDetailed", () => {
  it("reports which fallback answered, the attempts made and the time taken on the runtime's clock", async () => {
    const { rt, clock } = h.openManual();
    subject(rt, {
      timeoutMs: 40,
      idempotent: true,
      retry: { maxAttempts: 2, initialDelayMs: 20, jitter: 0 },
    });
    rt.policies.fallback("subject", "hold", { value: "stale" });
    await rt.start("subject");
    const retried = nextEvent(rt, "retry.attempt");
    const call = watch(rt.callDetailed("subject", "hold"));
    clock.advance(40);
    await retried;
    clock.advance(20);
    clock.advance(40);
    const outcome = await call.promise;
    expect(outcome).toMatchObject({
      ok: true,
      value: "stale",
      answeredBy: "handler",
      attempts: 2,
      durationMs: 100,
    });
    expect(outcome.error).toBeUndefined();
    expect(await rt.callDetailed("subject", "ok")).toMatchObject({ ok: true, value: "ok", attempts: 1 });
    expect((await rt.callDetailed("subject", "ok")).answeredBy).toBeUndefined();
  });
});
