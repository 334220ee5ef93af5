import { describe, expect, it } from "vitest";
import { ErrorCodes, type ChipsetError, type Runtime } from "../../src/index.js";
import { currentCall } from "../../src/module.js";
import { collect, failure, inline, policyHarness, watch } from "./fixtures.js";

const h = policyHarness();

/** `primary` (fails while `failing`; `slow` answers only when given up) with `backup` as its manifest fallback. */
function primaryWithBackup(rt: Runtime) {
  const state = { failing: true, primary: 0, backup: 0 };
  inline(
    rt,
    "primary",
    {
      get: (x: string) => {
        state.primary++;
        if (state.failing) throw new Error("primary is broken");
        return `primary:${x}`;
      },
      slow: () => {
        state.primary++;
        const { signal } = currentCall()!;
        return new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(new Error("too late"))),
        );
      },
    },
    {
      fallback: "backup",
      calls: {
        breaker: { consecutiveFailures: 2, failureRate: 0, openMs: 1_000 },
        methods: { slow: { timeoutMs: 100 } },
      },
    },
  );
  inline(rt, "backup", {
    get: (x: string) => {
      state.backup++;
      return `backup:${x}`;
    },
    slow: (x: string) => {
      state.backup++;
      return `backup slow:${x}`;
    },
  });
  return state;
}

async function tripBreaker(rt: Runtime): Promise<void> {
  for (let i = 0; i < 2; i++)
    expect((await failure(rt.call("primary", "get", ["x"]))).code).toBe(ErrorCodes.CALL_FAILED);
  expect(rt.policies.breakers()).toMatchObject([{ id: "primary", state: "open" }]);
}

describe("a manifest fallback module", () => {
  it("answers calls while the breaker is open, and the module is not called", async () => {
    const { rt } = h.openManual();
    const state = primaryWithBackup(rt);
    const used = collect(rt, "fallback.used");
    await tripBreaker(rt);
    const outcome = await rt.callDetailed("primary", "get", ["a"]);
    expect(outcome).toMatchObject({ ok: true, value: "backup:a", answeredBy: "backup", attempts: 1 });
    expect(await rt.call("primary", "get", ["b"])).toBe("backup:b");
    expect(state).toMatchObject({ primary: 2, backup: 2 });
    expect(used.map((e) => [e.id, e.method, e.fallback, e.error.code])).toEqual([
      ["primary", "get", "backup", ErrorCodes.BREAKER_OPEN],
      ["primary", "get", "backup", ErrorCodes.BREAKER_OPEN],
    ]);
  });

  it("answers a call that timed out", async () => {
    const { rt, clock } = h.openManual();
    const state = primaryWithBackup(rt);
    await rt.start("primary");
    await rt.start("backup");
    const call = watch(rt.callDetailed("primary", "slow", ["s"]));
    clock.advance(100);
    expect(await call.promise).toMatchObject({ ok: true, value: "backup slow:s", answeredBy: "backup" });
    expect(state).toMatchObject({ primary: 1, backup: 1 });
  });

  it("does not answer a plain error the module threw (CHIP_ERR_CALL_FAILED is the module's own answer)", async () => {
    const { rt } = h.openManual();
    const state = primaryWithBackup(rt);
    const used = collect(rt, "fallback.used");
    const outcome = await rt.callDetailed("primary", "get", ["a"]);
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.code).toBe(ErrorCodes.CALL_FAILED);
    expect((outcome.error?.cause as Error).message).toBe("primary is broken");
    expect(outcome.answeredBy).toBeUndefined();
    expect(state.backup).toBe(0);
    expect(used).toEqual([]);
  });
});

describe("an application fallback handler (runtime.policies.fallback)", () => {
  it("answers instead of the manifest fallback, and receives the error and the arguments", async () => {
    const { rt } = h.openManual();
    const state = primaryWithBackup(rt);
    const seen: Array<{ error: ChipsetError; args: readonly unknown[] }> = [];
    const handler = rt.policies.fallback("primary", "*", (error, args) => {
      seen.push({ error, args });
      return `handler:${String(args[0])}`;
    });
    await tripBreaker(rt);
    expect(await rt.callDetailed("primary", "get", ["a"])).toMatchObject({
      ok: true,
      value: "handler:a",
      answeredBy: "handler",
    });
    expect(state.backup).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.args).toEqual(["a"]);
    expect(seen[0]!.error.code).toBe(ErrorCodes.BREAKER_OPEN);
    expect(seen[0]!.error.context).toMatchObject({ id: "primary", method: "get", attempt: 1 });
    handler.dispose();
    expect(await rt.callDetailed("primary", "get", ["b"])).toMatchObject({
      value: "backup:b",
      answeredBy: "backup",
    });
  });

  it("for one method answers only that method, with a fixed value", async () => {
    const { rt, clock } = h.openManual();
    const state = primaryWithBackup(rt);
    rt.policies.fallback("primary", "slow", { value: { cached: true } });
    await rt.start("primary");
    const slow = watch(rt.call("primary", "slow", ["s"]));
    clock.advance(100);
    expect(await slow.promise).toEqual({ cached: true });
    expect(state.backup).toBe(0);
    await failure(rt.call("primary", "get", ["x"])); // the timeout was the breaker's first failure
    expect(await rt.call("primary", "get", ["y"])).toBe("backup:y");
  });

  it("is not used for a plain error the module threw", async () => {
    const { rt } = h.openManual();
    primaryWithBackup(rt);
    let used = 0;
    rt.policies.fallback("primary", "*", () => ++used);
    expect((await failure(rt.call("primary", "get", ["a"]))).code).toBe(ErrorCodes.CALL_FAILED);
    expect(used).toBe(0);
  });

  it("fails the call with CHIP_ERR_CALL_FAILED naming the original error when the handler throws", async () => {
    const { rt } = h.openManual();
    primaryWithBackup(rt);
    rt.policies.fallback("primary", "*", () => {
      throw new Error("no cache either");
    });
    await tripBreaker(rt);
    const err = await failure(rt.call("primary", "get", ["a"]));
    expect(err.code).toBe(ErrorCodes.CALL_FAILED);
    expect(err.message).toContain("no cache either");
    expect(err.details).toMatchObject({ fallbackOf: ErrorCodes.BREAKER_OPEN });
    expect(err.context).toMatchObject({ id: "primary", method: "get" });
  });

  it("does not count as having answered when its answer fails too", async () => {
    const { rt } = h.openManual();
    primaryWithBackup(rt);
    rt.policies.fallback("primary", "*", () => Promise.reject(new Error("no cache either")));
    await tripBreaker(rt);
    const outcome = await rt.callDetailed("primary", "get", ["a"]);
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toContain("no cache either");
    expect(outcome.answeredBy).toBeUndefined();
  });
});

describe("a manifest fallback module that fails too", () => {
  it("does not count as having answered, and the call fails", async () => {
    const { rt } = h.openManual();
    inline(
      rt,
      "primary",
      { get: () => Promise.reject(new Error("down")) },
      {
        fallback: "backup",
        calls: { breaker: { consecutiveFailures: 1, failureRate: 0 } },
      },
    );
    inline(rt, "backup", {
      get: () => {
        throw new Error("backup down too");
      },
    });
    await failure(rt.call("primary", "get"));
    const outcome = await rt.callDetailed("primary", "get");
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toContain("backup down too");
    expect(outcome.answeredBy).toBeUndefined();
  });
});
