import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../errors/codes.js";
import type { AttemptSignal } from "./PipelineTarget.js";
import {
  pending,
  value,
  sync,
  reject,
  crash,
  flush,
  setup,
  retrying,
} from "../../test/support/pipelineHarness.js";

// CallPipeline: the plain path, timeouts and retries (scripted module and setup: test/support/pipelineHarness.ts).
describe("CallPipeline", () => {
  describe("with no policy", () => {
    it("answers with the module's value, synchronous or not", async () => {
      const { target, call } = setup({});
      target.replies.push(sync(1), value(2));
      const a = call();
      const b = call();
      await flush();
      expect([a.value, b.value]).toEqual([1, 2]);
    });

    it("hands the module no signal when the call can be neither cancelled nor timed out", () => {
      const { target, call } = setup({});
      call();
      expect(target.attempts[0]!.given).toBeUndefined();
    });

    it("hands the module a signal that fires with the caller's reason when there is no timeout", () => {
      const { target, call } = setup({});
      const controller = new AbortController();
      call({ signal: controller.signal });
      const given = target.attempts[0]!.given as { signal: AbortSignal };
      expect(given.signal.aborted).toBe(false);
      controller.abort("enough");
      expect(given.signal.aborted).toBe(true);
      expect(given.signal.reason).toBe("enough");
    });

    it("tells the target after each attempt and once when the call settles", async () => {
      const { target, call, advance } = setup(retrying());
      target.replies.push(crash, value("ok"));
      call();
      await advance(100);
      expect(target.attemptedLog.map((a) => [a.attempt, a.code])).toEqual([
        [1, ErrorCodes.MODULE_CRASHED],
        [2, undefined],
      ]);
      expect(target.settledCalls).toEqual([{ callId: 1, code: undefined }]);
    });
  });

  describe("timeout", () => {
    it("rejects with CHIP_ERR_CALL_TIMEOUT once timeoutMs passes without an answer", async () => {
      const { call, advance, sink } = setup({ timeoutMs: 100 });
      const c = call();
      await advance(99);
      expect(c.done).toBe(false);
      await advance(1);
      expect(c.error?.code).toBe(ErrorCodes.CALL_TIMEOUT);
      expect(sink.named("call.timeout")).toEqual([{ id: "m", method: "get", attempt: 1, timeoutMs: 100 }]);
    });

    it("aborts the attempt's signal when it times out", async () => {
      const { call, advance, target } = setup({ timeoutMs: 100 });
      call();
      const signal = target.attempts[0]!.signal!;
      expect(signal.aborted).toBe(false);
      await advance(100);
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toMatchObject({ code: ErrorCodes.CALL_TIMEOUT });
    });

    it("hands an already aborted signal to a module that asks for it only after the timeout", async () => {
      const { call, advance, target } = setup({ timeoutMs: 100 });
      target.readSignal = false;
      call();
      await advance(100);
      const given = target.attempts[0]!.given as AttemptSignal;
      expect(given.aborted).toBe(true);
      expect(given.signal.aborted).toBe(true);
    });

    it("ignores an answer that comes after the timeout", async () => {
      const { call, advance, target } = setup({ timeoutMs: 100 });
      const c = call();
      await advance(100);
      target.attempts[0]!.resolve("late");
      await flush();
      expect(c.error?.code).toBe(ErrorCodes.CALL_TIMEOUT);
      expect(target.settledCalls).toHaveLength(1);
      expect(target.attemptedLog).toHaveLength(1);
    });

    it("cancels the deadline when the module answers in time", async () => {
      const { call, target, clock, pipeline, advance } = setup({ timeoutMs: 100 });
      const c = call();
      await advance(50);
      target.attempts[0]!.resolve("ok");
      await flush();
      expect(c.value).toBe("ok");
      expect(pipeline.deadlines.pending).toBe(0);
      await advance(1_000);
      expect(c.value).toBe("ok");
      expect(clock.pending).toBe(0);
    });

    it("counts the time spent waiting in the bulkhead's queue against the deadline", async () => {
      const { call, target, advance } = setup({
        timeoutMs: 100,
        bulkhead: { maxConcurrent: 1, maxQueue: 1 },
      });
      call();
      await advance(60);
      const queued = call();
      await advance(20);
      target.attempts[0]!.resolve("first");
      await flush();
      expect(target.attempts).toHaveLength(2);
      await advance(79);
      expect(queued.done).toBe(false);
      await advance(1);
      expect(queued.error?.code).toBe(ErrorCodes.CALL_TIMEOUT);
    });

    it("does not time out a queued call that got its slot and answered while the call ahead was timing out", async () => {
      const { call, target, advance, sink } = setup({
        timeoutMs: 100,
        bulkhead: { maxConcurrent: 1, maxQueue: 1 },
        ...retrying({ maxAttempts: 2, initialDelayMs: 10 }),
      });
      target.replies.push(pending, sync("second"), sync("first, again"));
      const first = call();
      const second = call();
      // Both deadlines fall due at 100: the first one's timeout hands its slot to the second,
      // which answers at once.
      await advance(100);
      expect(second.value).toBe("second");
      await advance(10);
      expect(first.value).toBe("first, again");
      expect(sink.named("call.timeout")).toHaveLength(1);
      expect(target.attempts.filter((a) => a.callId === 2)).toHaveLength(1);
      expect(target.attemptedLog.filter((a) => a.callId === 2)).toEqual([
        { callId: 2, attempt: 1, durationMs: 100, code: undefined },
      ]);
    });
  });

  describe("retry", () => {
    it("tries an idempotent method again after the backoff delays retryDelay gives", async () => {
      const { call, target, advance, sink } = setup(
        retrying({ initialDelayMs: 100, multiplier: 2, jitter: 0.5 }),
        () => 0.5,
      );
      target.replies.push(crash, crash, value("ok"));
      const c = call();
      await flush();
      expect(target.attempts).toHaveLength(1);
      // 100 ms less a random quarter (jitter 0.5 times 0.5), then 200 ms less a quarter.
      await advance(74);
      expect(target.attempts).toHaveLength(1);
      await advance(1);
      expect(target.attempts).toHaveLength(2);
      await advance(149);
      expect(target.attempts).toHaveLength(2);
      await advance(1);
      expect(target.attempts).toHaveLength(3);
      expect(c.value).toBe("ok");
      expect(
        sink.named("retry.attempt").map(({ attempt, delayMs, error }) => [attempt, delayMs, error.code]),
      ).toEqual([
        [1, 75, ErrorCodes.MODULE_CRASHED],
        [2, 150, ErrorCodes.MODULE_CRASHED],
      ]);
    });

    it("stops after maxAttempts and fails with the last attempt's error", async () => {
      const { call, target, advance, sink, clock } = setup(retrying({ maxAttempts: 3 }));
      target.otherwise = crash;
      const c = call();
      for (let i = 0; i < 10; i++) await advance(1_000);
      expect(target.attempts).toHaveLength(3);
      expect(c.error?.code).toBe(ErrorCodes.MODULE_CRASHED);
      expect(c.error?.context.attempt).toBe(3);
      expect(sink.named("retry.attempt")).toHaveLength(2);
      expect(clock.pending).toBe(0);
    });

    it("does not retry a method that is not declared idempotent", async () => {
      const { call, target, advance, sink } = setup({ ...retrying(), idempotent: false });
      target.otherwise = crash;
      const c = call();
      await advance(10_000);
      expect(target.attempts).toHaveLength(1);
      expect(c.error?.code).toBe(ErrorCodes.MODULE_CRASHED);
      expect(sink.named("retry.attempt")).toEqual([]);
    });

    it("retries a timed-out attempt", async () => {
      const { call, target, advance } = setup({ ...retrying({ initialDelayMs: 10 }), timeoutMs: 100 });
      target.replies.push(pending, value("ok"));
      const c = call();
      await advance(100);
      await advance(10);
      expect(c.value).toBe("ok");
      expect(target.attempts[0]!.signal?.aborted).toBe(true);
    });

    it.each([
      ErrorCodes.BREAKER_OPEN,
      ErrorCodes.BULKHEAD_FULL,
      ErrorCodes.METHOD_NOT_FOUND,
      ErrorCodes.ABORTED,
    ])("does not retry %s", async (code) => {
      const { call, target, advance, sink } = setup(retrying());
      target.otherwise = reject(code);
      const c = call();
      await advance(10_000);
      expect(target.attempts).toHaveLength(1);
      expect(c.error?.code).toBe(code);
      expect(sink.named("retry.attempt")).toEqual([]);
    });

    it("does not retry once the breaker opened on the failed attempt", async () => {
      const { call, target, advance } = setup({
        ...retrying({ initialDelayMs: 10 }),
        breaker: { consecutiveFailures: 1, openMs: 1_000 },
      });
      target.otherwise = crash;
      const c = call();
      await advance(10);
      await advance(10_000);
      expect(target.attempts).toHaveLength(1);
      expect(c.error?.code).toBe(ErrorCodes.BREAKER_OPEN);
      expect(c.error?.context.attempt).toBe(2);
    });

    it("does not retry a call the bulkhead refused", async () => {
      const { call, target, advance, clock } = setup({
        ...retrying(),
        bulkhead: { maxConcurrent: 1, maxQueue: 0 },
      });
      call();
      const refused = call();
      await flush();
      expect(refused.error?.code).toBe(ErrorCodes.BULKHEAD_FULL);
      expect(clock.pending).toBe(0);
      await advance(10_000);
      expect(target.attempts).toHaveLength(1);
    });
  });
});
