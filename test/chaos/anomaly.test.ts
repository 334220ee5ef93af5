import { describe, expect, it } from "vitest";
import { defineModule, ManualClock, type Runtime, type RuntimeOptions } from "../../src/index.js";
import { chaosOf } from "../../src/chaos.js";
import type { CallSeriesSnapshot } from "../../src/monitoring/AnomalyDetector.js";
import { chaosHarness, collect, inline, settleTimes, watch } from "./faultFixtures.js";

const h = chaosHarness();

/**
 * A runtime on a manual clock with inline module `svc`, whose `work` takes 4, 5 or 6 ms of that
 * clock in turn (the module's own latency: an inline call that answers at once takes 0 ms there,
 * and a baseline with no variance would make any jitter an anomaly).
 */
async function service(options: RuntimeOptions = {}) {
  const clock = new ManualClock();
  const rt = h.open({ clock, ...options });
  let n = 0;
  inline(rt, "svc", {
    work: () => new Promise((resolve) => clock.setTimeout(() => resolve("done"), 4 + (n++ % 3))),
  });
  await rt.start("svc");
  /** Makes `count` calls one after the other, `gapMs` apart; answers how many failed. */
  async function serve(count: number, gapMs = 0): Promise<number> {
    let failed = 0;
    for (let i = 0; i < count; i++) {
      const call = watch(rt.call("svc", "work"));
      await settleTimes(clock, [call]);
      if (call.error !== undefined) failed++;
      else expect(call.value).toBe("done");
      clock.advance(gapMs);
    }
    return failed;
  }
  return { rt, clock, serve, anomalies: collect(rt, "module.anomaly") };
}

function series(rt: Runtime): CallSeriesSnapshot {
  const found = rt.anomalies().calls.filter((s) => s.id === "svc" && s.method === "work");
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe("a latency anomaly", () => {
  it("fires once when a latency fault makes calls slow for longer than sustainMs, and ends once when they are fast again", async () => {
    const { rt, serve, anomalies } = await service();
    await serve(300);
    expect(anomalies).toEqual([]);
    const base = series(rt);
    expect(base).toMatchObject({ version: "1.0.0", samples: 300, calls: 300, errorRate: 0, anomalies: [] });
    expect(base.meanMs).toBeCloseTo(5, 1);
    expect(base.sdMs).toBeGreaterThan(0.5);
    expect(base.sdMs).toBeLessThan(1);

    chaosOf(rt).enable(1);
    const slow = chaosOf(rt).inject({
      kind: "latency",
      latencyMs: 50,
      target: { module: "svc", method: "work" },
    });
    await serve(100); // 5.5 s of the clock, well past sustainMs (1 s)
    expect(anomalies).toHaveLength(1);
    const begun = anomalies[0]!;
    expect(begun).toMatchObject({
      id: "svc",
      version: "1.0.0",
      method: "work",
      metric: "latency",
      active: true,
      unit: "ms",
    });
    expect(begun.baseline).toBeCloseTo(5, 0);
    expect(begun.threshold).toBeGreaterThanOrEqual(2 * begun.baseline); // latencyRatio 2
    expect(begun.observed).toBeGreaterThan(begun.threshold);
    expect(begun.samples).toBeGreaterThanOrEqual(300);
    const during = series(rt);
    expect(during.anomalies).toMatchObject([{ metric: "latency", unit: "ms" }]);
    expect(during.recentMs).toBeGreaterThan(40);
    expect(during.meanMs).toBeCloseTo(base.meanMs, 0); // the baseline does not learn the fault

    slow.dispose();
    await serve(400);
    expect(anomalies).toHaveLength(2);
    expect(anomalies[1]).toMatchObject({
      method: "work",
      metric: "latency",
      active: false,
      threshold: begun.threshold,
    });
    expect(anomalies[1]!.observed).toBeLessThan((begun.baseline + begun.threshold) / 2);
    expect(series(rt).anomalies).toEqual([]);
    expect(slow.injected).toBe(100);
  });

  it("does not fire for a burst of slow calls shorter than sustainMs", async () => {
    const { rt, serve, anomalies } = await service();
    await serve(200);
    chaosOf(rt).enable(1);
    const burst = chaosOf(rt).inject({ kind: "latency", latencyMs: 50, target: { module: "svc" } });
    await serve(12); // 660 ms of the clock
    burst.dispose();
    await serve(300);
    expect(anomalies).toEqual([]);
    expect(series(rt).anomalies).toEqual([]);
  });

  it("does not fire before minSamples successful calls made a baseline", async () => {
    const { rt, serve, anomalies } = await service({ anomalies: { minSamples: 500 } });
    await serve(100);
    chaosOf(rt).enable(1);
    chaosOf(rt).inject({ kind: "latency", latencyMs: 50, target: { module: "svc" } });
    await serve(60); // 3.3 s slow, but the baseline is still learning: slow is its normal
    expect(anomalies).toEqual([]);
    expect(series(rt).samples).toBe(160);
  });
});

describe("an error-rate anomaly", () => {
  it("fires once when an error fault fails many calls for longer than sustainMs, and ends once they succeed again", async () => {
    const { rt, serve, anomalies } = await service();
    expect(await serve(300, 10)).toBe(0);
    const base = series(rt);
    expect(base).toMatchObject({ calls: 300, errorRate: 0, recentErrorRate: 0 });

    chaosOf(rt).enable(5);
    const flaky = chaosOf(rt).inject({ kind: "error", percent: 60, target: { module: "svc" } });
    const failed = await serve(200, 10);
    expect(failed).toBe(flaky.injected);
    expect(failed).toBeGreaterThan(80);
    expect(anomalies).toHaveLength(1);
    const begun = anomalies[0]!;
    expect(begun).toMatchObject({
      id: "svc",
      method: "work",
      metric: "error-rate",
      active: true,
      unit: "ratio",
    });
    // The first failures, before the recent rate crossed the threshold, were learned: a few in 300.
    expect(begun.baseline).toBeLessThan(0.05);
    expect(begun.threshold).toBeCloseTo(begun.baseline + 0.2, 5); // errorRateRise
    expect(begun.observed).toBeGreaterThan(begun.threshold);
    expect(series(rt).anomalies).toMatchObject([{ metric: "error-rate", unit: "ratio" }]);
    expect(series(rt).errorRate).toBe(begun.baseline); // frozen while the anomaly lasts

    flaky.dispose();
    expect(await serve(300, 10)).toBe(0);
    expect(anomalies).toHaveLength(2);
    expect(anomalies[1]).toMatchObject({ metric: "error-rate", active: false });
    expect(anomalies[1]!.observed).toBeLessThan(0.1);
    expect(series(rt).anomalies).toEqual([]);
  });
});

describe("anomaly detection switched off", () => {
  it("raises nothing and keeps no baselines with anomalies: false", async () => {
    const { rt, serve, anomalies } = await service({ anomalies: false });
    await serve(100);
    chaosOf(rt).enable(1);
    chaosOf(rt).inject({ kind: "latency", latencyMs: 50, target: { module: "svc" } });
    await serve(60);
    expect(anomalies).toEqual([]);
    expect(rt.anomalies()).toEqual({ calls: [], memory: [], versions: [] });
  });
});

/**
 * A runtime on a manual clock with inline module `lazy`, not started: its first call loads it,
 * and its `start` hook takes `loadMs` of the clock (a model or an index read on first use).
 * `work` then takes `latency` ms, plus 0-2 ms of jitter.
 */
function lazyService(loadMs: number) {
  const clock = new ManualClock();
  const rt = h.open({ clock });
  const latency = { ms: 4 };
  let n = 0;
  rt.register(
    { name: "lazy", version: "1.0.0", chipset: { kind: "test" } },
    defineModule({
      start: () => new Promise<void>((resolve) => clock.setTimeout(resolve, loadMs)),
      api: {
        work: () => new Promise((resolve) => clock.setTimeout(() => resolve("done"), latency.ms + (n++ % 3))),
      },
    }),
  );
  /** Makes `count` calls one after the other. */
  async function serve(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const call = watch(rt.call("lazy", "work"));
      await settleTimes(clock, [call]);
      expect(call.value).toBe("done");
    }
  }
  return { rt, clock, latency, serve, anomalies: collect(rt, "module.anomaly") };
}

describe("a latency anomaly of a lazily loaded module", () => {
  it.each([200, 1_000, 5_000])(
    "is reported when its calls become 30x slower, though its first call spent %i ms loading it",
    async (loadMs) => {
      const { rt, latency, serve, anomalies } = lazyService(loadMs);
      await serve(150);
      expect(anomalies).toEqual([]);
      const learned = rt.anomalies().calls.find((s) => s.id === "lazy")!;
      expect(learned.meanMs).toBeCloseTo(5, 0); // the module's calls, not its loading

      latency.ms = 150; // 30 times the 5 ms it answered in
      await serve(30); // 4.5 s of the clock, well past sustainMs (1 s)
      expect(anomalies).toMatchObject([{ id: "lazy", method: "work", metric: "latency", active: true }]);
    },
  );

  it("leaves out of its latency baseline the calls that waited for it to load or to be resumed", async () => {
    const { rt, clock, serve } = lazyService(1_000);
    await serve(100); // the first one loaded it
    await rt.pause("lazy");
    const waiting = watch(rt.call("lazy", "work"));
    clock.advance(10_000);
    await rt.resume("lazy");
    await settleTimes(clock, [waiting]);
    expect(waiting.value).toBe("done");
    const learned = rt.anomalies().calls.find((s) => s.id === "lazy")!;
    expect(learned.calls).toBe(99); // nor in its error rate: they said nothing of it
    expect(learned.samples).toBe(99);
    expect(learned.meanMs).toBeCloseTo(5, 0);
  });

  it("is reported when its calls become 30x slower after it was unloaded and loaded again by a call", async () => {
    const { rt, latency, serve, anomalies } = lazyService(1_000);
    await serve(20);
    await rt.unload("lazy");
    await serve(130); // the first of them loads it again
    expect(anomalies).toEqual([]);
    latency.ms = 150;
    await serve(30);
    expect(anomalies).toMatchObject([{ id: "lazy", method: "work", metric: "latency", active: true }]);
  });
});
