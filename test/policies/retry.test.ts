import { describe, expect, it } from "vitest";
import { ErrorCodes, type Runtime } from "../../src/index.js";
import { currentCall } from "../../src/module.js";
import { collect, failure, flush, inline, nextEvent, policyHarness, watch } from "./fixtures.js";

const h = policyHarness();

const retry = { maxAttempts: 3, initialDelayMs: 100, multiplier: 2, jitter: 0 };

/** A module whose `read` (idempotent) and `write` (not) fail their first `failures` invocations each; counts invocations. */
function flaky(rt: Runtime, failures: number): { read: number; write: number } {
  const seen = { read: 0, write: 0 };
  const method = (name: "read" | "write") => () => {
    if (++seen[name] <= failures) throw new Error(`${name} failed (invocation ${seen[name]})`);
    return `${name} ok`;
  };
  inline(
    rt,
    "flaky",
    { read: method("read"), write: method("write") },
    {
      calls: { retry, methods: { read: { idempotent: true } } },
    },
  );
  return seen;
}

describe("retry", () => {
  it("answers an idempotent method that fails twice then succeeds, after the backoff delays, with retry.attempt events", async () => {
    const { rt, clock } = h.openManual();
    const seen = flaky(rt, 2);
    const attempts = collect(rt, "retry.attempt");
    const firstRetry = nextEvent(rt, "retry.attempt");
    const call = watch(rt.callDetailed("flaky", "read"));
    await firstRetry;
    expect(seen.read).toBe(1);
    clock.advance(99);
    await flush();
    expect(seen.read).toBe(1); // not before the delay
    const secondRetry = nextEvent(rt, "retry.attempt");
    clock.advance(1);
    await secondRetry;
    expect(seen.read).toBe(2);
    clock.advance(200); // the delay doubled
    const outcome = await call.promise;
    expect(outcome).toMatchObject({ ok: true, value: "read ok", attempts: 3 });
    expect(outcome.durationMs).toBe(300);
    expect(seen.read).toBe(3);
    expect(
      attempts.map((a) => ({ method: a.method, attempt: a.attempt, delayMs: a.delayMs, code: a.error.code })),
    ).toEqual([
      { method: "read", attempt: 1, delayMs: 100, code: ErrorCodes.CALL_FAILED },
      { method: "read", attempt: 2, delayMs: 200, code: ErrorCodes.CALL_FAILED },
    ]);
  });

  it("gives up after maxAttempts and fails with the last attempt's error", async () => {
    const { rt, clock } = h.openManual();
    const seen = flaky(rt, 10);
    const first = nextEvent(rt, "retry.attempt");
    const call = watch(rt.call("flaky", "read"));
    await first;
    const second = nextEvent(rt, "retry.attempt");
    clock.advance(100);
    await second;
    clock.advance(200);
    const err = await failure(call.promise);
    expect(err.code).toBe(ErrorCodes.CALL_FAILED);
    expect(err.message).toContain("read failed (invocation 3)");
    expect(err.context.attempt).toBe(3);
    clock.advance(10_000);
    await flush();
    expect(seen.read).toBe(3);
  });

  it("calls a method that is not idempotent exactly once, whatever the retry config", async () => {
    const { rt, clock } = h.openManual();
    const seen = flaky(rt, 2);
    const attempts = collect(rt, "retry.attempt");
    const outcome = await rt.callDetailed("flaky", "write");
    expect(outcome).toMatchObject({ ok: false, attempts: 1 });
    expect(outcome.error?.code).toBe(ErrorCodes.CALL_FAILED);
    clock.advance(10_000);
    await flush();
    expect(seen.write).toBe(1);
    expect(attempts).toEqual([]);
    expect(rt.policies.effective("flaky", "write").retry).toBeUndefined();
    expect(rt.policies.effective("flaky", "read").retry).toMatchObject({ maxAttempts: 3 });
  });

  it("never retries CHIP_ERR_METHOD_NOT_FOUND, even for a module whose every method is idempotent", async () => {
    const { rt, clock } = h.openManual();
    let calls = 0;
    inline(rt, "strict", { known: () => ++calls }, { calls: { idempotent: true, retry } });
    const attempts = collect(rt, "retry.attempt");
    const outcome = await rt.callDetailed("strict", "unknown");
    expect(outcome.error?.code).toBe(ErrorCodes.METHOD_NOT_FOUND);
    expect(outcome.error?.details).toMatchObject({ method: "unknown", available: ["known"] });
    expect(outcome.attempts).toBe(1);
    clock.advance(10_000);
    await flush();
    expect(attempts).toEqual([]);
    expect(await rt.call("strict", "known")).toBe(1);
  });

  it("retries an idempotent call that timed out, and answers with the attempt that came in time", async () => {
    const { rt, clock } = h.openManual();
    let invocations = 0;
    inline(
      rt,
      "sluggish",
      {
        // The first invocation answers only when given up (its signal aborts); the second at once.
        get: () => {
          if (++invocations > 1) return "fresh";
          const { signal } = currentCall()!;
          return new Promise((_, reject) =>
            signal.addEventListener("abort", () => reject(new Error("gave up"))),
          );
        },
      },
      { calls: { timeoutMs: 50, idempotent: true, retry } },
    );
    await rt.start("sluggish");
    const retried = nextEvent(rt, "retry.attempt");
    const call = watch(rt.callDetailed("sluggish", "get"));
    clock.advance(50);
    expect((await retried).error.code).toBe(ErrorCodes.CALL_TIMEOUT);
    clock.advance(100);
    expect(await call.promise).toMatchObject({ ok: true, value: "fresh", attempts: 2 });
    expect(invocations).toBe(2);
  });
});
