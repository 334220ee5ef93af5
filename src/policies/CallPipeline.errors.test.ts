import { describe, expect, it } from "vitest";
import { ErrorCodes, type ErrorCode } from "../errors/codes.js";
import type { CallsConfig } from "../vocabulary/calls.js";
import { crash, Tracked, flush, setup, retrying } from "../../test/support/pipelineHarness.js";

// CallPipeline: the errors it makes (scripted module and setup: test/support/pipelineHarness.ts).
describe("CallPipeline", () => {
  describe("errors", () => {
    interface Case {
      what: string;
      calls: CallsConfig;
      /** Makes the failing call (and whatever it needs before it). */
      run: (s: ReturnType<typeof setup>) => Promise<Tracked>;
      code: ErrorCode;
      attempt: number;
      callId: number;
    }
    const cases: Case[] = [
      {
        what: "a timeout",
        calls: { timeoutMs: 10 },
        run: async (s) => {
          const c = s.call();
          await s.advance(10);
          return c;
        },
        code: ErrorCodes.CALL_TIMEOUT,
        attempt: 1,
        callId: 1,
      },
      {
        what: "the module's error after retries",
        calls: retrying({ maxAttempts: 2 }),
        run: async (s) => {
          s.target.otherwise = crash;
          const c = s.call();
          await s.advance(100);
          return c;
        },
        code: ErrorCodes.MODULE_CRASHED,
        attempt: 2,
        callId: 1,
      },
      {
        what: "an open breaker",
        calls: { breaker: { consecutiveFailures: 1 } },
        run: async (s) => {
          s.target.replies.push(crash);
          s.call();
          await flush();
          return s.call();
        },
        code: ErrorCodes.BREAKER_OPEN,
        attempt: 1,
        callId: 2,
      },
      {
        what: "a full bulkhead",
        calls: { bulkhead: { maxConcurrent: 1, maxQueue: 0 } },
        run: async (s) => {
          s.call();
          await flush();
          return s.call();
        },
        code: ErrorCodes.BULKHEAD_FULL,
        attempt: 1,
        callId: 2,
      },
      {
        what: "a cancellation",
        calls: { timeoutMs: 100 },
        run: async (s) => {
          s.call();
          const controller = new AbortController();
          const c = s.call({ signal: controller.signal });
          controller.abort();
          await flush();
          return c;
        },
        code: ErrorCodes.ABORTED,
        attempt: 1,
        callId: 2,
      },
    ];

    it.each(cases)("name the module, method, attempt and call in the context of $what", async (c) => {
      const s = setup(c.calls);
      const tracked = await c.run(s);
      await flush();
      expect(tracked.error?.code).toBe(c.code);
      expect(tracked.error?.context).toEqual({
        id: "m",
        method: "get",
        attempt: c.attempt,
        callId: c.callId,
      });
    });

    it("add the version and host once the module's instance is known", async () => {
      const { call, target } = setup({});
      target.site = { version: "1.2.3", isolation: "worker" };
      target.replies.push(crash);
      const c = call();
      await flush();
      expect(c.error?.context).toEqual({
        id: "m",
        method: "get",
        attempt: 1,
        callId: 1,
        version: "1.2.3",
        host: "worker",
      });
    });

    it("say which breaker refused and when it lets probes through", async () => {
      const { call, target, advance } = setup({ breaker: { consecutiveFailures: 1, openMs: 1_000 } });
      target.replies.push(crash);
      call();
      await advance(400);
      const c = call();
      await flush();
      expect(c.error?.message).toContain("probes begin in 600 ms");
      expect(c.error?.module).toBe("m");
    });
  });
});
