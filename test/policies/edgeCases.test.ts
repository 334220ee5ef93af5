import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../../src/index.js";
import { chaosOf } from "../../src/chaos.js";
import { currentCall, defineModule } from "../../src/module.js";
import { collect, failure, flush, inline, nextEvent, policyHarness } from "./fixtures.js";

const h = policyHarness();

describe("policies at their edges: isolation counts, aborts from inside, a module that is down", () => {
  it("keeps a module isolated until every isolation of it has been released", async () => {
    const { rt } = h.openManual();
    inline(rt, "svc", { hi: () => "hi" });
    const operator = rt.policies.isolate("svc");
    const script = rt.policies.isolate("svc");
    script.dispose();
    expect((await failure(rt.call("svc", "hi"))).code).toBe(ErrorCodes.BREAKER_OPEN);
    operator.dispose();
    await expect(rt.call("svc", "hi")).resolves.toBe("hi");
  });

  it("does not time out, or count against the breaker, a call the module aborted from inside before answering", async () => {
    const { rt, clock } = h.openManual();
    const controller = new AbortController();
    inline(
      rt,
      "selfish",
      {
        ping: () => "pong",
        wait: () => {
          controller.abort(new Error("changed my mind"));
          // It stops once told (so the runtime can close), but only after it has answered the call.
          const signal = currentCall()!.signal;
          return new Promise((_, reject) =>
            signal.aborted
              ? queueMicrotask(() => reject(signal.reason as Error))
              : signal.addEventListener("abort", () => reject(signal.reason as Error)),
          );
        },
      },
      { calls: { timeoutMs: 50, breaker: { consecutiveFailures: 1 } } },
    );
    expect(await rt.call("selfish", "ping")).toBe("pong"); // running: the next call takes the fast path
    const timeouts = collect(rt, "call.timeout");
    const opened = collect(rt, "breaker.opened");
    const err = await failure(rt.call("selfish", "wait", [], { signal: controller.signal }));
    expect(err.code).toBe(ErrorCodes.ABORTED);
    clock.advance(1_000);
    await flush();
    expect(timeouts).toEqual([]);
    expect(opened).toEqual([]);
    expect(rt.policies.breakers()).toEqual([{ id: "selfish", state: "closed" }]);
  });

  it("sends calls to a module that is down straight to its fallback: no retries, and its breaker does not count them", async () => {
    const { rt } = h.openManual({ restart: { initialDelayMs: 60_000 } });
    inline(rt, "backup", { get: () => "from backup" });
    inline(
      rt,
      "primary",
      { get: () => "from primary" },
      {
        fallback: "backup",
        calls: { idempotent: true, retry: { maxAttempts: 5 }, breaker: { consecutiveFailures: 2 } },
      },
    );
    expect(await rt.call("primary", "get")).toBe("from primary");
    chaosOf(rt).enable(1);
    const crashed = nextEvent(rt, "module.crashed");
    chaosOf(rt).crash({ module: "primary" });
    await crashed;
    for (let i = 0; i < 3; i++) {
      const outcome = await rt.callDetailed("primary", "get");
      expect(outcome).toMatchObject({ ok: true, value: "from backup", answeredBy: "backup", attempts: 1 });
    }
    expect(rt.policies.breakers()).toEqual([{ id: "primary", state: "closed" }]);
  });
});

describe("the runtime after close, and run-time policy layers", () => {
  it("rejects a call made after close with CHIP_ERR_RUNTIME_CLOSED, and says so for error queries", async () => {
    const rt = h.open();
    inline(rt, "svc", { hi: () => "hi" });
    await rt.close();
    expect((await failure(rt.call("svc", "hi"))).code).toBe(ErrorCodes.RUNTIME_CLOSED);
    expect((await rt.callDetailed("svc", "hi")).error?.code).toBe(ErrorCodes.RUNTIME_CLOSED);
    expect(() => rt.errors.recent()).toThrow(
      expect.objectContaining({ code: ErrorCodes.RUNTIME_CLOSED }) as Error,
    );
  });

  it("puts a layer over the override and, once disposed, lets the override apply again", () => {
    const { rt } = h.openManual({ policies: { svc: { timeoutMs: 200 } } });
    inline(rt, "svc", { hi: () => "hi" });
    const layer = rt.policies.layer("svc", { breaker: { consecutiveFailures: 3 } });
    expect(rt.policies.effective("svc", "hi")).toMatchObject({
      timeoutMs: 200,
      breaker: { scope: "module" },
    });
    layer.dispose();
    expect(rt.policies.effective("svc", "hi")).toMatchObject({ timeoutMs: 200, breaker: undefined });
  });

  it("answers health from the module's health(), and says what is wrong when it answers nothing", async () => {
    const rt = h.open();
    rt.register(
      { name: "fine", version: "1.0.0", chipset: { kind: "test" } },
      defineModule({ api: {}, health: () => ({ ok: true }) }),
    );
    rt.register(
      { name: "mute", version: "1.0.0", chipset: { kind: "test" } },
      defineModule({ api: {}, health: () => undefined as unknown as { ok: boolean } }),
    );
    await rt.start("fine");
    await rt.start("mute");
    expect(await rt.health("fine")).toEqual({ ok: true });
    expect(await rt.health("mute")).toEqual({
      ok: false,
      detail: expect.stringMatching(/answered nothing/) as string,
    });
    expect(await rt.health("nobody")).toEqual({ ok: false, detail: "not loaded" });
  });
});
