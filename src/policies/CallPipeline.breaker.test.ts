import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../errors/codes.js";
import { pending, value, reject, crash, flush, setup } from "../../test/support/pipelineHarness.js";

// CallPipeline: the circuit breaker and the bulkhead (scripted module and setup: test/support/pipelineHarness.ts).
describe("CallPipeline", () => {
  describe("circuit breaker", () => {
    it("fails calls at once while open, without calling the module, and reports the opening", async () => {
      const { call, target, sink } = setup({
        breaker: { consecutiveFailures: 2, failureRate: 0, openMs: 1_000 },
      });
      target.otherwise = crash;
      call();
      call();
      await flush();
      const refused = call();
      await flush();
      expect(refused.error?.code).toBe(ErrorCodes.BREAKER_OPEN);
      expect(refused.error?.details).toMatchObject({ state: "open", retryAt: 1_000 });
      expect(target.attempts).toHaveLength(2);
      expect(sink.named("breaker.opened")).toEqual([
        { id: "m", reason: "consecutive-failures", failures: 2, rate: 1, openMs: 1_000 },
      ]);
    });

    it("lets a probe through after openMs and closes when it succeeds", async () => {
      const { call, target, sink, advance, plan } = setup({
        breaker: { consecutiveFailures: 1, openMs: 1_000 },
      });
      target.replies.push(crash, value("ok"));
      call();
      await advance(999);
      const early = call();
      await flush();
      expect(early.error?.code).toBe(ErrorCodes.BREAKER_OPEN);
      expect(target.attempts).toHaveLength(1);
      await advance(1);
      const probe = call();
      await flush();
      expect(probe.value).toBe("ok");
      expect(plan().breaker?.state.name).toBe("closed");
      expect(sink.events.map((e) => e.name).filter((n) => n.startsWith("breaker."))).toEqual([
        "breaker.opened",
        "breaker.half-open",
        "breaker.closed",
      ]);
      expect(sink.named("breaker.closed")).toEqual([{ id: "m", from: "half-open" }]);
    });

    it("counts a timeout against the breaker", async () => {
      const { call, advance } = setup({ timeoutMs: 100, breaker: { consecutiveFailures: 1 } });
      call();
      await advance(100);
      const next = call();
      await flush();
      expect(next.error?.code).toBe(ErrorCodes.BREAKER_OPEN);
    });

    it("does not count the caller's mistakes against the breaker", async () => {
      const { call, target, plan } = setup({ breaker: { consecutiveFailures: 2 } });
      target.otherwise = reject(ErrorCodes.METHOD_NOT_FOUND);
      for (let i = 0; i < 5; i++) call();
      await flush();
      expect(target.attempts).toHaveLength(5);
      expect(plan().breaker?.state.name).toBe("closed");
    });

    it("keeps a breaker set for one method to that method", async () => {
      const { call, target } = setup({ methods: { get: { breaker: { consecutiveFailures: 1 } } } });
      target.replies.push(crash);
      target.otherwise = value("fine");
      call({ method: "get" });
      await flush();
      const get = call({ method: "get" });
      const put = call({ method: "put" });
      await flush();
      expect(get.error?.code).toBe(ErrorCodes.BREAKER_OPEN);
      expect(put.value).toBe("fine");
    });

    it("keeps a method's own breaker open when an override adjusts every breaker and the plans are made again", async () => {
      const { call, target, book } = setup({ methods: { get: { breaker: { consecutiveFailures: 1 } } } });
      book.override("m", { breaker: { openMs: 10_000 } });
      target.replies.push(crash);
      target.otherwise = value("fine");
      call({ method: "get" });
      await flush();
      const put = call({ method: "put" });
      await flush();
      expect(put.value).toBe("fine");
      // Anything that makes the plans again (here a new fallback handler) must find get's breaker as it was.
      book.fallback("m", "other", () => undefined);
      const get = call({ method: "get" });
      await flush();
      expect(get.error?.code).toBe(ErrorCodes.BREAKER_OPEN);
    });

    it("shares a module-wide breaker between methods", async () => {
      const { call, target } = setup({ breaker: { consecutiveFailures: 1 } });
      target.replies.push(crash);
      call({ method: "get" });
      await flush();
      const put = call({ method: "put" });
      await flush();
      expect(put.error?.code).toBe(ErrorCodes.BREAKER_OPEN);
    });

    it("gives back the probe of a call the bulkhead refused", async () => {
      const { call, target, advance, plan } = setup({
        breaker: { consecutiveFailures: 1, openMs: 100, halfOpenProbes: 1 },
        methods: { get: { bulkhead: { maxConcurrent: 1, maxQueue: 0 } } },
      });
      target.replies.push(pending, crash, pending);
      call({ method: "get" }); // holds get's only slot, never answers
      call({ method: "put" }); // opens the module's breaker
      await advance(100);
      const refused = call({ method: "get" });
      await flush();
      expect(refused.error?.code).toBe(ErrorCodes.BULKHEAD_FULL);
      const probe = call({ method: "put" });
      await flush();
      expect(probe.done).toBe(false);
      expect(target.attempts).toHaveLength(3);
      expect(plan("put").breaker?.state).toEqual({ name: "half-open", probes: 1, successes: 0 });
    });

    it("gives back a half-open probe when the bulkhead refuses it, and only once", async () => {
      const { call, target, advance, plan, book } = setup({
        breaker: { consecutiveFailures: 1, openMs: 100, halfOpenProbes: 2 },
        bulkhead: { maxConcurrent: 1, maxQueue: 0 },
      });
      let answer!: (v: unknown) => void;
      book.fallback("m", "*", () => new Promise((resolve) => (answer = resolve)));
      target.replies.push(crash);
      call();
      await advance(100);
      call(); // probe 1: takes the slot and hangs
      const controller = new AbortController();
      const refused = call({ signal: controller.signal }); // probe 2: bulkhead full, the fallback is slow
      expect(plan().breaker?.state).toEqual({ name: "half-open", probes: 1, successes: 0 });
      controller.abort();
      await flush();
      expect(refused.error?.code).toBe(ErrorCodes.ABORTED);
      // Probe 1 is still in flight: the abort must not have given back a second slot.
      expect(plan().breaker?.state).toEqual({ name: "half-open", probes: 1, successes: 0 });
      answer("late");
    });
  });

  describe("bulkhead", () => {
    it("refuses at once with CHIP_ERR_BULKHEAD_FULL when every slot and queue place is taken", async () => {
      const { call, target, sink } = setup({ bulkhead: { maxConcurrent: 2, maxQueue: 1 } });
      call();
      call();
      const queued = call();
      const refused = call();
      await flush();
      expect(target.attempts).toHaveLength(2);
      expect(queued.done).toBe(false);
      expect(refused.error?.code).toBe(ErrorCodes.BULKHEAD_FULL);
      expect(sink.named("bulkhead.rejected")).toEqual([{ id: "m", method: "get", active: 2, queued: 1 }]);
    });

    it("runs a queued call as soon as a slot frees", async () => {
      const { call, target, plan } = setup({ bulkhead: { maxConcurrent: 1, maxQueue: 1 } });
      const first = call();
      call();
      target.attempts[0]!.resolve("one");
      await flush();
      expect(first.value).toBe("one");
      expect(target.attempts).toHaveLength(2);
      expect(plan().bulkhead).toMatchObject({ active: 1, queued: 0 });
    });

    it("gives back the slot when the module fails", async () => {
      const { call, target, plan } = setup({ bulkhead: { maxConcurrent: 1, maxQueue: 0 } });
      target.replies.push({ kind: "throw", code: ErrorCodes.MODULE_CRASHED }, value("ok"));
      call();
      const next = call();
      await flush();
      expect(next.value).toBe("ok");
      expect(plan().bulkhead?.active).toBe(0);
    });

    it("gives a method its own bulkhead when set for it, and shares a module-wide one", async () => {
      const { call, target } = setup({
        bulkhead: { maxConcurrent: 1, maxQueue: 0 },
        methods: { own: { bulkhead: { maxConcurrent: 1, maxQueue: 0 } } },
      });
      call({ method: "get" });
      const put = call({ method: "put" });
      const own = call({ method: "own" });
      await flush();
      expect(put.error?.code).toBe(ErrorCodes.BULKHEAD_FULL);
      expect(own.done).toBe(false);
      expect(target.attempts).toHaveLength(2);
    });
  });
});
