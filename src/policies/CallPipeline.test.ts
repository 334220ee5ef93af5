import { describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes, type ErrorCode } from "../errors/codes.js";
import { CallPipeline } from "./CallPipeline.js";
import { type AttemptSignal, type PipelineTarget, type CallRun } from "./CallRun.js";
import type { CallsConfig } from "../vocabulary/calls.js";
import { PolicyBook } from "./PolicyBook.js";
import type { PolicyEventSink, PolicyEvents } from "./PolicyEvents.js";

/** How the fake module answers one attempt. */
type Reply =
  | { kind: "pending" }
  | { kind: "value"; value: unknown }
  | { kind: "sync"; value: unknown }
  | { kind: "reject"; code: ErrorCode }
  | { kind: "throw"; code: ErrorCode };

const pending: Reply = { kind: "pending" };
const value = (v: unknown): Reply => ({ kind: "value", value: v });
const sync = (v: unknown): Reply => ({ kind: "sync", value: v });
const reject = (code: ErrorCode): Reply => ({ kind: "reject", code });
const crash = reject(ErrorCodes.MODULE_CRASHED);

interface Attempt {
  callId: number;
  /** What the pipeline handed over: an AttemptSignal, the caller's AbortSignal, or nothing. */
  given: AttemptSignal | AbortSignal | undefined;
  /** The AbortSignal of this attempt (read at once, unless `readSignal` is off). */
  signal: AbortSignal | undefined;
  settled: boolean;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** The module behind the pipeline: answers each attempt as scripted, and records what it was told. */
class FakeTarget implements PipelineTarget {
  readonly replies: Reply[] = [];
  fallbackReply: Reply = { kind: "sync", value: "from the backup" };
  otherwise: Reply = pending;
  readSignal = true;
  site: CallRun["site"] = undefined;
  fallbackModule: string | undefined = undefined;
  readonly attempts: Attempt[] = [];
  readonly settledCalls: { callId: number; code: ErrorCode | undefined }[] = [];
  readonly attemptedLog: {
    callId: number;
    attempt: number;
    durationMs: number;
    code: ErrorCode | undefined;
  }[] = [];
  readonly fallbackCalls: { fallback: string; method: string; args: readonly unknown[] }[] = [];

  attempt(run: CallRun, given: AttemptSignal | AbortSignal | undefined): unknown {
    if (this.site !== undefined) run.site = run.inModule = this.site;
    let resolve!: (value: unknown) => void;
    let rejectIt!: (error: unknown) => void;
    const promise = new Promise((res, rej) => {
      resolve = res;
      rejectIt = rej;
    });
    const signal =
      given === undefined || given instanceof AbortSignal || !this.readSignal ? given : given.signal;
    const attempt: Attempt = {
      callId: run.callId,
      given,
      signal: signal instanceof AbortSignal ? signal : undefined,
      settled: false,
      resolve: (v) => {
        attempt.settled = true;
        resolve(v);
      },
      reject: (e) => {
        attempt.settled = true;
        rejectIt(e);
      },
    };
    this.attempts.push(attempt);
    return answer(this.replies.shift() ?? this.otherwise, attempt, promise);
  }

  fallback(fallback: string, run: CallRun): unknown {
    this.fallbackCalls.push({ fallback, method: run.method, args: run.args });
    return answer(this.fallbackReply, undefined, new Promise(() => {}));
  }

  fallbackOf(): string | undefined {
    return this.fallbackModule;
  }

  settled(run: CallRun, error: ChipsetError | undefined): void {
    this.settledCalls.push({ callId: run.callId, code: error?.code });
  }

  attempted(run: CallRun, durationMs: number, error: ChipsetError | undefined): void {
    this.attemptedLog.push({ callId: run.callId, attempt: run.attempt, durationMs, code: error?.code });
  }

  /** Attempts that started, were not answered, and were not told to stop. */
  get running(): number {
    return this.attempts.filter((a) => !a.settled && !a.signal?.aborted).length;
  }
}

function moduleError(code: ErrorCode): ChipsetError {
  return new ChipsetError(code, `the module failed with ${code}`, { module: "m" });
}

function answer(reply: Reply, attempt: Attempt | undefined, promise: Promise<unknown>): unknown {
  const settle = () => {
    if (attempt !== undefined) attempt.settled = true;
  };
  switch (reply.kind) {
    case "pending":
      return promise;
    case "sync":
      settle();
      return reply.value;
    case "value":
      settle();
      return Promise.resolve(reply.value);
    case "throw":
      settle();
      throw moduleError(reply.code);
    case "reject":
      settle();
      return Promise.reject(moduleError(reply.code));
  }
}

class Sink implements PolicyEventSink {
  readonly events: { name: keyof PolicyEvents; event: unknown }[] = [];
  has(): boolean {
    return true;
  }
  emit<K extends keyof PolicyEvents>(name: K, event: PolicyEvents[K]): void {
    this.events.push({ name, event });
  }
  named<K extends keyof PolicyEvents>(name: K): PolicyEvents[K][] {
    return this.events.filter((e) => e.name === name).map((e) => e.event as PolicyEvents[K]);
  }
}

interface Tracked {
  done: boolean;
  value?: unknown;
  error?: ChipsetError;
}

/** Watches a call's promise without awaiting it, so a test can look at it between clock steps. */
function track(promise: Promise<unknown>): Tracked {
  const t: Tracked = { done: false };
  promise.then(
    (v) => {
      t.done = true;
      t.value = v;
    },
    (e: unknown) => {
      t.done = true;
      t.error = e as ChipsetError;
    },
  );
  return t;
}

/** Lets every pending promise reaction run (no timers involved). */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function setup(calls: CallsConfig, random: () => number = () => 0) {
  const clock = new ManualClock();
  const sink = new Sink();
  const book = new PolicyBook(clock, sink, undefined);
  const target = new FakeTarget();
  const pipeline = new CallPipeline(clock, random, sink, target);
  const plan = (method = "get") => book.module("m").plan(method, calls);
  const call = (
    options: { method?: string; signal?: AbortSignal; args?: unknown[]; fallback?: boolean } = {},
  ) =>
    track(
      pipeline
        .run(plan(options.method), "m", options.args ?? [], options.signal, options.fallback ?? true)
        .start(),
    );
  /** Lets pending answers land, then moves the clock and lets the reactions it caused run. */
  const advance = async (ms: number) => {
    await flush();
    clock.advance(ms);
    await flush();
  };
  return { clock, sink, book, target, pipeline, plan, call, advance };
}

const retrying = (retry: CallsConfig["retry"] = {}): CallsConfig => ({
  idempotent: true,
  retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 10_000, multiplier: 2, jitter: 0, ...retry },
});

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
