import { describe, expect, it } from "vitest";
import { defineModule, ErrorCodes } from "../../src/index.js";
import { chaosOf } from "../../src/chaos.js";
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
    chaosOf(rt).enable(9);
    const slow = chaosOf(rt).inject({
      name: "slow a",
      kind: "latency",
      latencyMs: 0,
      target: { method: "a" },
    });
    const flaky = chaosOf(rt).inject({ kind: "error", percent: 50, target: { method: "b" } });
    const refusing = chaosOf(rt).inject({ kind: "failing-hook", hook: "start", target: { module: "other" } });
    const idle = chaosOf(rt).inject({ kind: "hang", target: { module: "nobody" } });
    for (let i = 0; i < 10; i++) expect(await rt.call("svc", "a")).toBe("a");
    const b = await Promise.allSettled(Array.from({ length: 100 }, () => rt.call("svc", "b")));
    const failedB = b.filter((o) => o.status === "rejected").length;
    expect(failedB).toBeGreaterThan(30);
    expect(failedB).toBeLessThan(70);
    await failure(rt.start("other"));

    expect(chaosOf(rt).counts()).toEqual([
      { name: "slow a", kind: "latency", injected: 10 },
      { name: "error *.b", kind: "error", injected: failedB },
      { name: "failing-hook start other", kind: "failing-hook", injected: 1 },
      { name: "hang nobody", kind: "hang", injected: 0 },
    ]);
    expect([slow.injected, flaky.injected, refusing.injected, idle.injected]).toEqual([10, failedB, 1, 0]);

    idle.dispose();
    expect(
      chaosOf(rt)
        .counts()
        .map((c) => c.name),
    ).toEqual(["slow a", "error *.b", "failing-hook start other"]);
    chaosOf(rt).clear();
    expect(chaosOf(rt).counts()).toEqual([]);
    expect(chaosOf(rt).enabled).toBe(true);
    expect(chaosOf(rt).active).toBe(false);
    const after = await Promise.all(Array.from({ length: 100 }, () => rt.call("svc", "b")));
    expect(after.every((v) => v === "b")).toBe(true);
    await rt.start("other");
    expect(await rt.call("other", "ping")).toBe("pong");
    expect(flaky.injected).toBe(failedB); // a removed fault counts no more
    // Still on: a new fault goes in.
    chaosOf(rt).inject({ kind: "error", target: { module: "svc" } });
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
    chaosOf(rt).enable(1);
    const leak = chaosOf(rt).inject({ kind: "leak", mbPerSecond: 40, target: { module: "leaky" } });
    chaosOf(rt).inject({ kind: "error", target: { module: "leaky", method: "ping" } });
    expect((await failure(rt.call("leaky", "ping"))).cause?.code).toBe(ErrorCodes.CHAOS_FAULT);
    await next(rt, "module.anomaly", (e) => e.id === "leaky" && e.metric === "memory" && e.active);
    expect((await rt.call("leaky", "heapMb")) as number).toBeGreaterThan(baseMb + 8);

    chaosOf(rt).disable();
    expect(chaosOf(rt).enabled).toBe(false);
    expect(chaosOf(rt).counts()).toEqual([]);
    expect(leak.injected).toBe(1);
    expect(await rt.call("leaky", "ping")).toBe("pong");
    expect((await rt.call("leaky", "heapMb")) as number).toBeLessThan(baseMb + 4);
    expect(() => chaosOf(rt).inject({ kind: "hang" })).toThrow(
      expect.objectContaining({ code: ErrorCodes.OPTIONS_INVALID }),
    );
    expect(() => chaosOf(rt).crash()).toThrow(expect.objectContaining({ code: ErrorCodes.OPTIONS_INVALID }));
  });
});

describe("calls held back by a latency fault", () => {
  it("go on at once when chaos is switched off, so nothing waits on a fault that is gone", async () => {
    const rt = h.open();
    inline(rt, "svc", { a: () => "a" });
    await rt.start("svc");
    chaosOf(rt).enable(1);
    chaosOf(rt).inject({ kind: "latency", latencyMs: 3_600_000, target: { module: "svc" } });
    const held = rt.call("svc", "a");
    chaosOf(rt).disable();
    await expect(held).resolves.toBe("a");
  });
});
