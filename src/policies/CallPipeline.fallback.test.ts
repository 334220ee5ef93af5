import { describe, expect, it } from "vitest";
import { ErrorCodes, type ErrorCode } from "../errors/codes.js";
import {
  value,
  reject,
  crash,
  moduleError,
  flush,
  setup,
  retrying,
} from "../../test/support/pipelineHarness.js";

// CallPipeline: fallbacks and cancellation by the caller (scripted module and setup: test/support/pipelineHarness.ts).
describe("CallPipeline", () => {
  describe("fallback", () => {
    it("answers a crash with the handler's value, handing it the error and the arguments", async () => {
      const { call, target, book, sink } = setup({});
      const seen: { code: ErrorCode; context: unknown; args: readonly unknown[] }[] = [];
      book.fallback("m", "get", (error, args) => {
        seen.push({ code: error.code, context: error.context, args });
        return "cached";
      });
      target.replies.push(crash);
      const c = call({ args: [1, "two"] });
      await flush();
      expect(c.value).toBe("cached");
      expect(seen).toEqual([
        {
          code: ErrorCodes.MODULE_CRASHED,
          context: { id: "m", method: "get", attempt: 1, callId: 1 },
          args: [1, "two"],
        },
      ]);
      expect(
        sink
          .named("fallback.used")
          .map(({ id, method, fallback, error }) => [id, method, fallback, error.code]),
      ).toEqual([["m", "get", "handler", ErrorCodes.MODULE_CRASHED]]);
    });

    it("answers a call whose inline module crashed under it from the fallback, and ignores the module's late answer", async () => {
      const { call, target, pipeline } = setup({});
      const site = { version: "1.0.0", isolation: "inline" as const };
      target.site = site;
      target.fallbackModule = "backup";
      const c = call();
      await flush();
      pipeline.crashedAt({ version: "1.0.0", isolation: "inline" }, moduleError(ErrorCodes.MODULE_CRASHED));
      await flush();
      expect(c.done).toBe(false); // another instance's crash changes nothing
      pipeline.crashedAt(site, moduleError(ErrorCodes.MODULE_CRASHED));
      await flush();
      expect(c.value).toBe("from the backup");
      expect(target.fallbackCalls).toHaveLength(1);
      target.attempts[0]!.resolve("too late");
      await flush();
      expect(c.value).toBe("from the backup");
      expect(target.attemptedLog.map((a) => a.code)).toEqual([ErrorCodes.MODULE_CRASHED]);
    });

    it("answers a timeout and an open breaker from the handler", async () => {
      const { call, book, advance } = setup({ timeoutMs: 100, breaker: { consecutiveFailures: 1 } });
      const codes: ErrorCode[] = [];
      book.fallback("m", "*", (error) => {
        codes.push(error.code);
        return "fallback";
      });
      const timedOut = call();
      await advance(100);
      const refused = call();
      await flush();
      expect([timedOut.value, refused.value]).toEqual(["fallback", "fallback"]);
      expect(codes).toEqual([ErrorCodes.CALL_TIMEOUT, ErrorCodes.BREAKER_OPEN]);
    });

    it("answers a full bulkhead from the handler", async () => {
      const { call, book } = setup({ bulkhead: { maxConcurrent: 1, maxQueue: 0 } });
      book.fallback("m", "get", () => "spare");
      call();
      const refused = call();
      await flush();
      expect(refused.value).toBe("spare");
    });

    it("leaves the module's own error (CHIP_ERR_CALL_FAILED) alone", async () => {
      const { call, target, book, sink } = setup({});
      let used = false;
      book.fallback("m", "get", () => (used = true));
      target.replies.push(reject(ErrorCodes.CALL_FAILED));
      const c = call();
      await flush();
      expect(c.error?.code).toBe(ErrorCodes.CALL_FAILED);
      expect(used).toBe(false);
      expect(sink.named("fallback.used")).toEqual([]);
    });

    it("leaves a call the caller cancelled alone", async () => {
      const { call, book } = setup({});
      let used = false;
      book.fallback("m", "get", () => (used = true));
      const controller = new AbortController();
      const c = call({ signal: controller.signal });
      controller.abort();
      await flush();
      expect(c.error?.code).toBe(ErrorCodes.ABORTED);
      expect(used).toBe(false);
    });

    it("fails with CHIP_ERR_CALL_FAILED, the handler's error as cause, when the handler throws", async () => {
      const { call, target, book } = setup({});
      const oops = new Error("no cache either");
      book.fallback("m", "get", () => {
        throw oops;
      });
      target.replies.push(crash);
      const c = call();
      await flush();
      expect(c.error?.code).toBe(ErrorCodes.CALL_FAILED);
      expect(c.error?.cause).toBe(oops);
      expect(c.error?.details).toEqual({ fallbackOf: ErrorCodes.MODULE_CRASHED });
    });

    it("waits for a handler that answers with a promise", async () => {
      const { call, target, book } = setup({});
      book.fallback("m", "get", () => Promise.resolve("later"));
      target.replies.push(crash);
      const c = call();
      await flush();
      expect(c.value).toBe("later");
    });

    it("calls the manifest's fallback module when no handler is registered", async () => {
      const { call, target, sink } = setup({});
      target.fallbackModule = "m-backup";
      target.replies.push(crash);
      const c = call({ args: [7] });
      await flush();
      expect(c.value).toBe("from the backup");
      expect(target.fallbackCalls).toEqual([{ fallback: "m-backup", method: "get", args: [7] }]);
      expect(sink.named("fallback.used").map((e) => e.fallback)).toEqual(["m-backup"]);
    });

    it("does not fall back when the call says no fallback", async () => {
      const { call, target, book } = setup({});
      book.fallback("m", "get", () => "cached");
      target.replies.push(crash);
      const c = call({ fallback: false });
      await flush();
      expect(c.error?.code).toBe(ErrorCodes.MODULE_CRASHED);
    });

    it("stops using a handler once it is disposed", async () => {
      const { call, target, book } = setup({});
      book.fallback("m", "get", () => "cached").dispose();
      target.replies.push(crash);
      const c = call();
      await flush();
      expect(c.error?.code).toBe(ErrorCodes.MODULE_CRASHED);
    });
  });

  describe("cancellation by the caller", () => {
    it("rejects at once, without calling the module, when the signal is already aborted", async () => {
      const { call, target } = setup({ timeoutMs: 100 });
      const reason = new Error("gone");
      const c = call({ signal: AbortSignal.abort(reason) });
      await flush();
      expect(c.error?.code).toBe(ErrorCodes.ABORTED);
      expect(c.error?.cause).toBe(reason);
      expect(target.attempts).toEqual([]);
    });

    it("ends a wait in the bulkhead's queue and gives its place back", async () => {
      const { call, target, plan, pipeline } = setup({
        timeoutMs: 1_000,
        bulkhead: { maxConcurrent: 1, maxQueue: 1 },
      });
      call();
      const controller = new AbortController();
      const reason = new Error("user left");
      const waiting = call({ signal: controller.signal });
      controller.abort(reason);
      await flush();
      expect(waiting.error?.code).toBe(ErrorCodes.ABORTED);
      expect(waiting.error?.cause).toBe(reason);
      expect(plan().bulkhead).toMatchObject({ active: 1, queued: 0 });
      expect(pipeline.deadlines.pending).toBe(1);
      target.attempts[0]!.resolve("done");
      await flush();
      expect(target.attempts).toHaveLength(1);
      expect(plan().bulkhead?.active).toBe(0);
    });

    it("ends a wait between retries", async () => {
      const { call, target, clock, advance } = setup(retrying());
      target.otherwise = crash;
      const controller = new AbortController();
      const c = call({ signal: controller.signal });
      await flush();
      expect(clock.pending).toBe(1);
      controller.abort();
      await flush();
      expect(c.error?.code).toBe(ErrorCodes.ABORTED);
      expect(clock.pending).toBe(0);
      await advance(10_000);
      expect(target.attempts).toHaveLength(1);
    });

    it("ends an attempt in flight, fires the module's signal and frees the bulkhead slot", async () => {
      const { call, target, plan, pipeline } = setup({
        timeoutMs: 1_000,
        bulkhead: { maxConcurrent: 1, maxQueue: 0 },
      });
      const controller = new AbortController();
      const reason = new Error("user left");
      const c = call({ signal: controller.signal });
      controller.abort(reason);
      await flush();
      expect(c.error?.code).toBe(ErrorCodes.ABORTED);
      expect(c.error?.cause).toBe(reason);
      expect(target.attempts[0]!.signal?.aborted).toBe(true);
      expect(target.attempts[0]!.signal?.reason).toBe(reason);
      expect(plan().bulkhead?.active).toBe(0);
      expect(pipeline.deadlines.pending).toBe(0);
      target.attempts[0]!.resolve("too late");
      target.replies.push(value("next"));
      const next = call();
      await flush();
      expect(next.value).toBe("next");
    });

    it("gives back a half-open probe the caller abandoned", async () => {
      const { call, target, advance, plan } = setup({ breaker: { consecutiveFailures: 1, openMs: 100 } });
      target.replies.push(crash);
      call();
      await advance(100);
      const controller = new AbortController();
      call({ signal: controller.signal });
      expect(plan().breaker?.state).toEqual({ name: "half-open", probes: 1, successes: 0 });
      controller.abort();
      await flush();
      expect(plan().breaker?.state).toEqual({ name: "half-open", probes: 0, successes: 0 });
    });

    it("stops listening to the caller's signal once the call is over", async () => {
      const { call, target } = setup({});
      target.replies.push(value("ok"));
      const controller = new AbortController();
      const c = call({ signal: controller.signal });
      await flush();
      controller.abort();
      await flush();
      expect(c.value).toBe("ok");
      expect(target.settledCalls).toEqual([{ callId: 1, code: undefined }]);
    });
  });
});
