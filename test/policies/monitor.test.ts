import { describe, expect, it } from "vitest";
import { ErrorCodes, type Runtime } from "../../src/index.js";
import { failure, inline, nextEvent, policyHarness, watch } from "./fixtures.js";

const h = policyHarness();

/** Two modules whose methods always fail: `alpha` (breaker after 2 failures; `read` retried, with no breaker) and `beta`. */
function failing(rt: Runtime): void {
  const fail = (what: string) => () => {
    throw new Error(`${what} failed`);
  };
  inline(
    rt,
    "alpha",
    { write: fail("alpha.write"), read: fail("alpha.read") },
    {
      calls: {
        breaker: { consecutiveFailures: 2, failureRate: 0, openMs: 1_000 },
        methods: {
          read: {
            idempotent: true,
            breaker: false,
            retry: { maxAttempts: 3, initialDelayMs: 10, jitter: 0 },
          },
        },
      },
    },
  );
  inline(rt, "beta", { write: fail("beta.write") });
}

describe("the error monitor (runtime.errors)", () => {
  it("lists call failures newest first with their context, and counts them by code and by module", async () => {
    const { rt } = h.openManual();
    failing(rt);
    const first = await failure(rt.call("alpha", "write"));
    const second = await failure(rt.call("beta", "write"));
    const third = await failure(rt.call("alpha", "nope"));
    const recent = rt.errors.recent();
    expect(recent.map((e) => [e.code, e.id, e.method])).toEqual([
      [ErrorCodes.METHOD_NOT_FOUND, "alpha", "nope"],
      [ErrorCodes.CALL_FAILED, "beta", "write"],
      [ErrorCodes.CALL_FAILED, "alpha", "write"],
    ]);
    expect(recent[2]).toMatchObject({
      code: ErrorCodes.CALL_FAILED,
      id: "alpha",
      version: "1.0.0",
      method: "write",
      attempt: 1,
      host: "inline",
      callId: first.context.callId,
      causes: ["Error: alpha.write failed"],
    });
    expect(recent[1]!.callId).toBe(second.context.callId);
    expect(recent[0]!.callId).toBe(third.context.callId);
    expect(rt.errors.recent({ id: "beta" }).map((e) => e.callId)).toEqual([second.context.callId]);
    expect(rt.errors.recent({ limit: 1 }).map((e) => e.code)).toEqual([ErrorCodes.METHOD_NOT_FOUND]);
    const counts = rt.errors.counts();
    expect({ ...counts.byCode }).toEqual({ [ErrorCodes.CALL_FAILED]: 2, [ErrorCodes.METHOD_NOT_FOUND]: 1 });
    expect({ ...counts.byModule }).toEqual({ alpha: 2, beta: 1 });
    expect(counts.total).toBe(3);
    expect(rt.errors.counts({ id: "alpha" }).total).toBe(2);
  });

  it("records one error per call however many attempts it made, with the last attempt's number", async () => {
    const { rt, clock } = h.openManual();
    failing(rt);
    const retried = nextEvent(rt, "retry.attempt", (e) => e.attempt === 2);
    const call = watch(rt.call("alpha", "read"));
    await nextEvent(rt, "retry.attempt");
    clock.advance(10);
    await retried;
    clock.advance(20);
    await failure(call.promise);
    expect(rt.errors.recent().map((e) => [e.code, e.method, e.attempt])).toEqual([
      [ErrorCodes.CALL_FAILED, "read", 3],
    ]);
    expect(rt.errors.counts().total).toBe(1);
  });

  it("records the refusals of the policies too", async () => {
    const { rt } = h.openManual();
    failing(rt);
    await failure(rt.call("alpha", "write"));
    await failure(rt.call("alpha", "write"));
    await failure(rt.call("alpha", "write")); // refused: the breaker is open
    rt.policies.isolate("beta");
    await failure(rt.call("beta", "write"));
    expect(rt.errors.recent().map((e) => [e.code, e.id])).toEqual([
      [ErrorCodes.BREAKER_OPEN, "beta"],
      [ErrorCodes.BREAKER_OPEN, "alpha"],
      [ErrorCodes.CALL_FAILED, "alpha"],
      [ErrorCodes.CALL_FAILED, "alpha"],
    ]);
    expect({ ...rt.errors.counts({ id: "alpha" }).byCode }).toEqual({
      [ErrorCodes.CALL_FAILED]: 2,
      [ErrorCodes.BREAKER_OPEN]: 1,
    });
  });

  it("keeps what it saw in the data directory, for the next runtime on it", async () => {
    const { rt } = h.openManual();
    failing(rt);
    const err = await failure(rt.call("beta", "write"));
    await rt.close();
    const { rt: later } = h.openManual();
    expect(later.errors.recent().map((e) => [e.code, e.id, e.callId])).toEqual([
      [ErrorCodes.CALL_FAILED, "beta", err.context.callId],
    ]);
    expect(later.errors.counts().byModule.beta).toBe(1);
  });
});
