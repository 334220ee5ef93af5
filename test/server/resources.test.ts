import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/common/Clock.js";
import type { LiveInstance, ModuleDetail } from "../../src/server/ModuleViews.js";
import type { SystemFigures } from "../../src/resources/SystemMeter.js";
import type { EnvironmentReport, Verdict } from "../../src/environment/EnvironmentReport.js";
import { hostHarness } from "./harness.js";

const h = hostHarness();

/** `burn(ms)` keeps its thread busy for `ms`; `fail()` throws. */
const BURNER = `export const module = defineModule({ api: {
  burn(ms) { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1); return x > 0; },
  fail() { throw new Error("failed on purpose"); },
} });`;

interface Listed {
  id: string;
  instance: LiveInstance | null;
}

describe("resources in the module views", () => {
  it("show a worker's CPU, heap and event loop, an inline module's call time without memory, and calls' p99 and failures", async () => {
    h.ws.module({ name: "burner", chipset: { isolation: "worker", activation: "eager" }, code: BURNER });
    h.ws.module({ name: "local", chipset: { activation: "eager" }, code: BURNER });
    const clock = new ManualClock();
    const rt = h.open({ clock, resources: { sampleMs: 1000 } });
    await h.serve(rt);
    await rt.start();
    const before = await h.get<{ modules: Listed[] }>("/v1/modules");
    // Not sampled yet: the figures are null, not zero.
    expect(before.body.modules.find((m) => m.id === "burner")?.instance).toMatchObject({
      resources: null,
      failedCalls: null,
      p99Ms: null,
    });
    rt.resources.sampleNow();
    await rt.call("burner", "burn", [300]);
    await rt.call("local", "burn", [50]);
    await expect(rt.call("burner", "fail")).rejects.toThrow(/on purpose/);
    clock.advance(1000); // the sampler's timer: the interval is this second

    const { status, body } = await h.get<{ modules: Listed[] }>("/v1/modules");
    expect(status).toBe(200);
    const burner = body.modules.find((m) => m.id === "burner")!.instance!;
    expect(burner.resources).toMatchObject({ id: "burner", isolation: "worker", intervalMs: 1000 });
    expect(burner.resources!.cpuPercent).toBeGreaterThan(0);
    expect(burner.resources!.heapUsedBytes).toBeGreaterThan(0);
    expect(burner.resources!.memoryBytes).toBe(burner.resources!.heapUsedBytes);
    expect(burner.resources!.rssBytes).toBeNull();
    expect(burner.resources!.elu).toBeGreaterThan(0);
    expect(burner.resources!.totals.cpuSeconds).toBeGreaterThan(0);
    expect(burner.failedCalls).toBe(1);
    expect(burner.p99Ms).toBe(0); // latencies are on the runtime's clock, which this test holds still

    const local = body.modules.find((m) => m.id === "local")!.instance!;
    expect(local.resources).toMatchObject({
      isolation: "inline",
      memoryBytes: null,
      heapUsedBytes: null,
      elu: null,
    });
    expect(local.resources!.cpuPercent).toBeGreaterThan(0); // its synchronous call time
    expect(local.failedCalls).toBe(0);

    const detail = await h.get<ModuleDetail>("/v1/modules/burner");
    expect(detail.body.instances[0]?.resources?.cpuPercent).toBe(burner.resources!.cpuPercent);
  });
});

describe("GET /v1/system", () => {
  it("answers the machine's load, CPU, memory, the data directory's disk and the host process", async () => {
    const { rt } = await h.echoHost();
    const { status, body } = await h.get<SystemFigures>("/v1/system");
    expect(status).toBe(200);
    expect(body.loadAverage).toHaveLength(3);
    expect(body.cpus).toBeGreaterThan(0);
    expect(body.memory.usedBytes + body.memory.availableBytes).toBe(body.memory.totalBytes);
    expect(body.disk?.path).toBe(rt.dataDir);
    expect(body.process.pid).toBe(process.pid);
  });

  it("is refused without the token", async () => {
    await h.echoHost({ start: false });
    const res = await h.request("/v1/system", { headers: { authorization: "" } });
    expect(res.status).toBe(401);
    await res.body?.cancel();
  });
});

describe("GET /v1/environment", () => {
  it("answers what the host runs on, each verdict with its evidence, the capability matrix and the adapted defaults", async () => {
    const { rt } = await h.echoHost();
    const { status, body } = await h.get<EnvironmentReport>("/v1/environment");
    expect(status).toBe(200);
    expect(body).toEqual(rt.environment());
    for (const verdict of Object.values(body.verdicts) as Verdict[])
      expect(verdict.evidence.length).toBeGreaterThan(0);
    expect(body.capabilities.threads.available).toBe(true);
    // The data directory, or its nearest parent when the runtime was created before it existed.
    expect(rt.dataDir.startsWith(body.capabilities.disk.path)).toBe(true);
    expect(body.defaults.replicasMax.value).toBeGreaterThanOrEqual(1);
  });

  it("is refused without the token", async () => {
    await h.echoHost({ start: false });
    const res = await h.request("/v1/environment", { headers: { authorization: "" } });
    expect(res.status).toBe(401);
    await res.body?.cancel();
  });
});
