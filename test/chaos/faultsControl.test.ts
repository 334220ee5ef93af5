import { describe, expect, it } from "vitest";
import { defineModule, ErrorCodes } from "../../src/index.js";
import { chaosHarness, failure, inline, isolated, next } from "./faultFixtures.js";

const h = chaosHarness();

describe("fault counts and removal", () => {
  it("counts how often each fault fired, and clear() removes every fault while chaos stays on", async () => {
    const rt = h.open();
    inline(rt, "svc", { a: () => "a", b: () => "b" });
    rt.register(
      { name: "other", version: "1.0.0", chipset: { kind: "test" } },
      defineModule({ api: { ping: () => "pong" } }),
    );
    await rt.start("svc");
    rt.chaos.enable(9);
    const slow = rt.chaos.inject({ name: "slow a", kind: "latency", latencyMs: 0, target: { method: "a" } });
    const flaky = rt.chaos.inject({ kind: "error", percent: 50, target: { method: "b" } });
    const refusing = rt.chaos.inject({ kind: "failing-hook", hook: "start", target: { module: "other" } });
    const idle = rt.chaos.inject({ kind: "hang", target: { module: "nobody" } });
    for (let i = 0; i < 10; i++) expect(await rt.call("svc", "a")).toBe("a");
    const b = await Promise.allSettled(Array.from({ length: 100 }, () => rt.call("svc", "b")));
    const failedB = b.filter((o) => o.status === "rejected").length;
    expect(failedB).toBeGreaterThan(30);
    expect(failedB).toBeLessThan(70);
    await failure(rt.start("other"));

    expect(rt.chaos.counts()).toEqual([
      { name: "slow a", kind: "latency", injected: 10 },
      { name: "error *.b", kind: "error", injected: failedB },
      { name: "failing-hook start other", kind: "failing-hook", injected: 1 },
      { name: "hang nobody", kind: "hang", injected: 0 },
    ]);
    expect([slow.injected, flaky.injected, refusing.injected, idle.injected]).toEqual([10, failedB, 1, 0]);

    idle.dispose();
    expect(rt.chaos.counts().map((c) => c.name)).toEqual(["slow a", "error *.b", "failing-hook start other"]);
    rt.chaos.clear();
    expect(rt.chaos.counts()).toEqual([]);
    expect(rt.chaos.enabled).toBe(true);
    expect(rt.chaos.active).toBe(false);
    const after = await Promise.all(Array.from({ length: 100 }, () => rt.call("svc", "b")));
    expect(after.every((v) => v === "b")).toBe(true);
    await rt.start("other");
    expect(await rt.call("other", "ping")).toBe("pong");
    expect(flaky.injected).toBe(failedB); // a removed fault counts no more
    // Still on: a new fault goes in.
    rt.chaos.inject({ kind: "error", target: { module: "svc" } });
    expect((await failure(rt.call("svc", "a"))).cause?.code).toBe(ErrorCodes.CHAOS_FAULT);
  });

  it("disable() turns chaos off, removes every fault and releases a worker module's leak", async () => {
    isolated(h.ws, "leaky", "worker");
    const rt = h.open({
      hosts: { pool: { worker: 0, process: 0 }, heartbeatMs: 50 },
      anomalies: {
        memoryWindowMs: 2000,
        memoryMinGrowthMb: 8,
        memoryMbPerMin: 60,
        sustainMs: 300,
        memorySampleMs: 100,
      },
    });
    await rt.start("leaky");
    const baseMb = (await rt.call("leaky", "heapMb")) as number;
    rt.chaos.enable(1);
    const leak = rt.chaos.inject({ kind: "leak", mbPerSecond: 40, target: { module: "leaky" } });
    rt.chaos.inject({ kind: "error", target: { module: "leaky", method: "ping" } });
    expect((await failure(rt.call("leaky", "ping"))).cause?.code).toBe(ErrorCodes.CHAOS_FAULT);
    await next(rt, "module.anomaly", (e) => e.id === "leaky" && e.metric === "memory" && e.active);
    expect((await rt.call("leaky", "heapMb")) as number).toBeGreaterThan(baseMb + 8);

    rt.chaos.disable();
    expect(rt.chaos.enabled).toBe(false);
    expect(rt.chaos.counts()).toEqual([]);
    expect(leak.injected).toBe(1);
    expect(await rt.call("leaky", "ping")).toBe("pong");
    expect((await rt.call("leaky", "heapMb")) as number).toBeLessThan(baseMb + 4);
    expect(() => rt.chaos.inject({ kind: "hang" })).toThrow(
      expect.objectContaining({ code: ErrorCodes.OPTIONS_INVALID }),
    );
    expect(() => rt.chaos.crash()).toThrow(expect.objectContaining({ code: ErrorCodes.OPTIONS_INVALID }));
  });
});

describe("calls held back by a latency fault", () => {
  it("go on at once when chaos is switched off, so nothing waits on a fault that is gone", async () => {
    const rt = h.open();
    inline(rt, "svc", { a: () => "a" });
    await rt.start("svc");
    rt.chaos.enable(1);
    rt.chaos.inject({ kind: "latency", latencyMs: 3_600_000, target: { module: "svc" } });
    const held = rt.call("svc", "a");
    rt.chaos.disable();
    await expect(held).resolves.toBe("a");
  });
});
