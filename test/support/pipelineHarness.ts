/**
 * A call pipeline over a scripted module (\`FakeTarget\`), a recording event sink and a manual
 * clock, for the CallPipeline unit tests beside the code (\`src/policies/CallPipeline*.test.ts\`).
 */
import { ManualClock } from "../../src/common/Clock.js";
import { ChipsetError } from "../../src/errors/ChipsetError.js";
import { ErrorCodes, type ErrorCode } from "../../src/errors/codes.js";
import { CallPipeline } from "../../src/policies/CallPipeline.js";
import type { CallRun } from "../../src/policies/CallRun.js";
import type { AttemptSignal, PipelineTarget } from "../../src/policies/PipelineTarget.js";
import { PolicyBook } from "../../src/policies/PolicyBook.js";
import type { PolicyEventSink, PolicyEvents } from "../../src/policies/PolicyEvents.js";
import type { CallsConfig } from "../../src/vocabulary/calls.js";

/** How the fake module answers one attempt. */
export type Reply =
  | { kind: "pending" }
  | { kind: "value"; value: unknown }
  | { kind: "sync"; value: unknown }
  | { kind: "reject"; code: ErrorCode }
  | { kind: "throw"; code: ErrorCode };

export const pending: Reply = { kind: "pending" };
export const value = (v: unknown): Reply => ({ kind: "value", value: v });
export const sync = (v: unknown): Reply => ({ kind: "sync", value: v });
export const reject = (code: ErrorCode): Reply => ({ kind: "reject", code });
export const crash = reject(ErrorCodes.MODULE_CRASHED);

export interface Attempt {
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
export class FakeTarget implements PipelineTarget {
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

export function moduleError(code: ErrorCode): ChipsetError {
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

export class Sink implements PolicyEventSink {
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

export interface Tracked {
  done: boolean;
  value?: unknown;
  error?: ChipsetError;
}

/** Watches a call's promise without awaiting it, so a test can look at it between clock steps. */
export function track(promise: Promise<unknown>): Tracked {
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
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export function setup(calls: CallsConfig, random: () => number = () => 0) {
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

export const retrying = (retry: CallsConfig["retry"] = {}): CallsConfig => ({
  idempotent: true,
  retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 10_000, multiplier: 2, jitter: 0, ...retry },
});
