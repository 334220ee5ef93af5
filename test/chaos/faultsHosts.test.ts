import { describe, expect, it } from "vitest";
import { ErrorCodes, type Runtime } from "../../src/index.js";
import { chaosOf } from "../../src/chaos.js";
import type { AnomalyOptions } from "../../src/runtime/Monitoring.js";
import { chaosHarness, collect, failure, inline, isolated, next, watch } from "./faultFixtures.js";

const h = chaosHarness();

const hosts = ["inline", "worker", "process"] as const;
type Host = (typeof hosts)[number];

/** A runtime with module `svc` in `host`, restarted at once after a crash, running. */
async function svcIn(host: Host): Promise<Runtime> {
  const restart = { initialDelayMs: 0 };
  if (host !== "inline") isolated(h.ws, "svc", host, { restart });
  const rt = h.open();
  if (host === "inline")
    inline(
      rt,
      "svc",
      {
        ping: () => "pong",
        wait: () => new Promise(() => {}),
        whoami: () => ({ pid: process.pid, threadId: 0 }),
      },
      { restart },
    );
  await rt.start("svc");
  return rt;
}

describe("crash", () => {
  it.each(hosts)(
    "chaos.crash() crashes a running %s module for real, and its supervisor restarts it in a new host",
    async (host) => {
      const rt = await svcIn(host);
      const before = rt.queries.info("svc").instance!.host;
      expect(await rt.call("svc", "whoami")).toEqual({ pid: before.pid, threadId: before.threadId });
      chaosOf(rt).enable(1);
      const inFlight = watch(rt.call("svc", "wait"));
      const crashed = next(rt, "module.crashed");
      const restarted = next(rt, "module.restarted");
      expect(chaosOf(rt).crash({ module: "svc", host: host === "inline" ? "worker" : "inline" })).toEqual([]);
      expect(chaosOf(rt).crash({ module: "svc" })).toEqual(["svc@1.0.0"]);
      const event = await crashed;
      expect(event).toMatchObject({
        id: "svc",
        kind: "uncaught-exception",
        error: { code: ErrorCodes.MODULE_CRASHED },
      });
      expect(event.error.message).toContain("crashed on purpose");
      await inFlight.done;
      expect(inFlight.error).toMatchObject({ code: ErrorCodes.MODULE_CRASHED });
      expect((await restarted).attempt).toBe(1);
      const after = rt.queries.info("svc");
      expect(after.state).toBe("running");
      expect(after.crashes).toMatchObject([{ kind: "uncaught-exception", action: "restart" }]);
      if (host === "worker") expect(after.instance!.host.threadId).not.toBe(before.threadId);
      if (host === "process") expect(after.instance!.host.pid).not.toBe(before.pid);
      const { pid, threadId } = after.instance!.host;
      expect(await rt.call("svc", "whoami")).toEqual({ pid, threadId });
      expect(await rt.call("svc", "ping")).toBe("pong");
    },
  );

  it.each(hosts)("a crash fault at 100% crashes a %s module's host as the call arrives", async (host) => {
    const rt = await svcIn(host);
    chaosOf(rt).enable(1);
    const fault = chaosOf(rt).inject({ kind: "crash", target: { module: "svc", method: "wait" } });
    expect(await rt.call("svc", "ping")).toBe("pong"); // another method: untouched
    const crashed = next(rt, "module.crashed");
    const restarted = next(rt, "module.restarted");
    expect((await failure(rt.call("svc", "wait"))).code).toBe(ErrorCodes.MODULE_CRASHED);
    expect((await crashed).error.message).toContain("chaos: crash svc.wait");
    await restarted;
    expect(fault.injected).toBe(1);
    expect(await rt.call("svc", "ping")).toBe("pong");
    expect(rt.queries.info("svc").crashes).toHaveLength(1);
  });
});

/** Anomaly thresholds low enough for a 40 MB/s leak to show within about two seconds. */
const fastMemory: AnomalyOptions = {
  memoryWindowMs: 2000,
  memoryMinGrowthMb: 8,
  memoryMbPerMin: 60,
  sustainMs: 300,
  memorySampleMs: 100,
};

describe("leak", () => {
  it.each(["worker", "process"] as const)(
    "grows a %s module's heap until a memory anomaly fires, and disposing the fault releases it",
    async (isolation) => {
      isolated(h.ws, "leaky", isolation);
      isolated(h.ws, "steady", "worker");
      const rt = h.open({
        hosts: { pool: { worker: 0, process: 0 }, heartbeatMs: 50 },
        anomalies: fastMemory,
      });
      await rt.start("leaky");
      await rt.start("steady");
      const baseMb = (await rt.call("leaky", "heapMb")) as number;
      const steadyMb = (await rt.call("steady", "heapMb")) as number;
      const anomalies = collect(rt, "module.anomaly");
      chaosOf(rt).enable(1);
      const fired = next(rt, "module.anomaly", (e) => e.metric === "memory" && e.active);
      const fault = chaosOf(rt).inject({ kind: "leak", mbPerSecond: 40, target: { module: "leaky" } });
      expect(fault.injected).toBe(1); // one instance leaks

      const event = await fired;
      expect(event).toMatchObject({
        id: "leaky",
        version: "1.0.0",
        unit: "MB/min",
        baseline: 0,
        threshold: 60,
      });
      expect(event.observed).toBeGreaterThan(60);
      expect(event.growthMb).toBeGreaterThanOrEqual(8);
      const reported = rt.anomalies().memory.find((m) => m.id === "leaky")!;
      expect(reported.heapMb).toBeGreaterThan(baseMb + 8);
      expect(reported.anomalies).toMatchObject([{ metric: "memory", unit: "MB/min" }]);
      const leakingMb = (await rt.call("leaky", "heapMb")) as number;
      expect(leakingMb).toBeGreaterThan(baseMb + 8); // still referenced: a collection does not free it
      expect((await rt.call("steady", "heapMb")) as number).toBeLessThan(steadyMb + 4); // the other worker: untouched

      const cleared = next(rt, "module.anomaly", (e) => e.metric === "memory" && !e.active);
      fault.dispose();
      const releasedMb = (await rt.call("leaky", "heapMb")) as number;
      expect(releasedMb).toBeLessThan(baseMb + 4);
      expect(await cleared).toMatchObject({ id: "leaky", active: false });
      expect(rt.anomalies().memory.find((m) => m.id === "leaky")!.heapMb).toBeLessThan(leakingMb - 8);
      expect(anomalies.filter((e) => e.metric === "memory").map((e) => [e.id, e.active])).toEqual([
        ["leaky", true],
        ["leaky", false],
      ]);
    },
  );

  it("goes on in the new host when a leaking worker module restarts", async () => {
    isolated(h.ws, "leaky", "worker", { restart: { initialDelayMs: 0 } });
    const rt = h.open({ hosts: { pool: { worker: 0, process: 0 }, heartbeatMs: 50 }, anomalies: fastMemory });
    await rt.start("leaky");
    chaosOf(rt).enable(1);
    const fault = chaosOf(rt).inject({ kind: "leak", mbPerSecond: 40, target: { module: "leaky" } });
    const restarted = next(rt, "module.restarted");
    chaosOf(rt).crash({ module: "leaky" });
    await restarted;
    const baseMb = (await rt.call("leaky", "heapMb")) as number;
    expect(fault.injected).toBe(2); // the first host, then the one after the restart
    await next(rt, "module.anomaly", (e) => e.metric === "memory" && e.active);
    expect((await rt.call("leaky", "heapMb")) as number).toBeGreaterThan(baseMb + 8);
  });
});
