import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { CallPipeline } from "./CallPipeline.js";
import type { CallRun } from "./CallRun.js";
import type { AttemptSignal, PipelineTarget } from "./PipelineTarget.js";
import type { CallsConfig } from "../vocabulary/calls.js";
import { PolicyBook } from "./PolicyBook.js";
import type { PolicyEventSink } from "./PolicyEvents.js";

type Reply = "pending" | "ok" | "fail";

interface Running {
  signal: AbortSignal | undefined;
  settled: boolean;
  settle(ok: boolean): void;
}

/** A module that answers as scripted and counts how many attempts it runs at once. */
class CountingTarget implements PipelineTarget {
  readonly attempts: Running[] = [];
  mostAtOnce = 0;
  constructor(private readonly replies: Reply[]) {}

  get running(): number {
    return this.attempts.filter((a) => !a.settled && !a.signal?.aborted).length;
  }

  attempt(_run: CallRun, given: AttemptSignal | AbortSignal | undefined): unknown {
    const signal = given === undefined || given instanceof AbortSignal ? given : given.signal;
    const reply = this.replies.shift() ?? "pending";
    const failure = new ChipsetError(ErrorCodes.MODULE_CRASHED, "down", { module: "m" });
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running + 1);
    if (reply === "ok") return "sync";
    if (reply === "fail") throw failure;
    return new Promise((resolve, reject) => {
      const attempt: Running = {
        signal,
        settled: false,
        settle: (ok) => {
          attempt.settled = true;
          if (ok) resolve("async");
          else reject(failure);
        },
      };
      this.attempts.push(attempt);
    });
  }

  fallback(): unknown {
    return undefined;
  }
  fallbackOf(): string | undefined {
    return undefined;
  }
  settled(): void {}
  attempted(): void {}
}

const silent: PolicyEventSink = { has: () => false, emit: () => {} };

type Op =
  | { kind: "arrive"; cancellable: boolean }
  | { kind: "finish"; pick: number; ok: boolean }
  | { kind: "abort"; pick: number }
  | { kind: "advance"; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("arrive" as const), cancellable: fc.boolean() }),
  fc.record({ kind: fc.constant("finish" as const), pick: fc.nat(), ok: fc.boolean() }),
  fc.record({ kind: fc.constant("abort" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 60 }) }),
);

const configArb: fc.Arbitrary<CallsConfig> = fc.record({
  timeoutMs: fc.constantFrom(0, 50),
  idempotent: fc.boolean(),
  retry: fc.constant({ maxAttempts: 3, initialDelayMs: 10, jitter: 0.5 }),
  bulkhead: fc.record({
    maxConcurrent: fc.integer({ min: 1, max: 3 }),
    maxQueue: fc.integer({ min: 0, max: 3 }),
  }),
});

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe("CallPipeline (properties)", () => {
  it("never runs more than maxConcurrent attempts at once, and settles every call", async () => {
    await fc.assert(
      fc.asyncProperty(
        configArb,
        fc.array(fc.constantFrom<Reply>("pending", "pending", "ok", "fail"), { maxLength: 100 }),
        fc.array(opArb, { minLength: 1, maxLength: 80 }),
        async (calls, replies, ops) => {
          const maxConcurrent = calls.bulkhead ? calls.bulkhead.maxConcurrent! : Infinity;
          const clock = new ManualClock();
          const book = new PolicyBook(clock, silent, undefined);
          const target = new CountingTarget(replies);
          const pipeline = new CallPipeline(clock, () => 0.5, silent, target);
          const plan = book.module("m").plan("get", calls);
          const controllers: AbortController[] = [];
          let settled = 0;
          let made = 0;

          const check = async () => {
            await flush();
            expect(target.mostAtOnce).toBeLessThanOrEqual(maxConcurrent);
            expect(target.running).toBeLessThanOrEqual(maxConcurrent);
            expect(plan.bulkhead!.active).toBe(target.running);
            expect(plan.bulkhead!.queued).toBeLessThanOrEqual(calls.bulkhead ? calls.bulkhead.maxQueue! : 0);
          };

          for (const op of ops) {
            switch (op.kind) {
              case "arrive": {
                const controller = op.cancellable ? new AbortController() : undefined;
                if (controller) controllers.push(controller);
                made++;
                pipeline
                  .run(plan, "m", [], controller?.signal, false)
                  .start()
                  .then(
                    () => settled++,
                    () => settled++,
                  );
                break;
              }
              case "finish": {
                const live = target.attempts.filter((a) => !a.settled);
                live[op.pick % Math.max(1, live.length)]?.settle(op.ok);
                break;
              }
              case "abort":
                controllers[op.pick % Math.max(1, controllers.length)]?.abort();
                break;
              case "advance":
                clock.advance(op.ms);
                break;
            }
            await check();
          }

          // Let everything finish: answer whatever is still running, let backoffs and deadlines pass.
          for (let round = 0; round < 50 && settled < made; round++) {
            for (const a of target.attempts) if (!a.settled) a.settle(true);
            await flush();
            clock.advance(100);
            await check();
          }
          expect(settled).toBe(made);
          expect(plan.bulkhead!.active).toBe(0);
          expect(plan.bulkhead!.queued).toBe(0);
          expect(pipeline.deadlines.pending).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
