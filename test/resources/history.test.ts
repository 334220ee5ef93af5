import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/common/Clock.js";
import { ChipsetError, createRuntime, ErrorCodes } from "../../src/index.js";
import type { ResourcesSampled } from "../../src/resources/ResourceEvents.js";
import type { ResourceReport } from "../../src/resources/ResourceReport.js";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();

/** `burn(ms)` keeps its thread busy; `fail()` throws; `die()` ends its worker thread (a crash). */
const MODULE = `export const module = defineModule({ api: {
  burn(ms) { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1); return x > 0; },
  idle() { return true; },
  fail() { throw new Error("asked to fail"); },
  die() { setTimeout(() => process.exit(3), 0); return true; },
} });`;

describe("the resource history of real modules", () => {
  it("reports the module that burns CPU at the top, with its errors and restarts, every reportEveryMs and after the runtime restarted", async () => {
    h.ws.module({ name: "burner", chipset: { isolation: "worker" }, code: MODULE });
    h.ws.module({ name: "idler", chipset: { isolation: "worker" }, code: MODULE });
    const clock = new ManualClock();
    const since = clock.wallNow();
    const runtime = h.open({ clock, resources: { sampleMs: 1000, reportEveryMs: 10_000 } });
    const reports: ResourceReport[] = [];
    runtime.on("report.ready", (r) => reports.push(r));
    await runtime.start();
    await runtime.call("idler", "idle");
    await runtime.call("burner", "idle");
    runtime.resources.sampleNow(); // the first readings: where the first interval starts
    for (let round = 0; round < 3; round++) {
      await runtime.call("burner", "burn", [300]);
      clock.advance(1000); // the sampler's round
    }
    await expect(runtime.call("idler", "fail")).rejects.toThrow("asked to fail");
    const crashed = new Promise((resolve) => runtime.on("module.crashed", resolve));
    await runtime.call("idler", "die");
    await crashed;

    const burnt = runtime.resources.history("burner", { since });
    expect(burnt).toHaveLength(3);
    expect(burnt.every((p) => p.resolution === "raw" && p.cpuPercent! > 0)).toBe(true);

    clock.advance(10_000 - 3000); // the report of the first 10 s
    expect(reports).toHaveLength(1);
    const report = reports[0]!;
    expect(report.until - report.since).toBe(10_000);
    expect(report.top.cpuPercent[0]!.module).toBe("burner@1.0.0");
    const burner = report.modules.find((m) => m.id === "burner")!;
    const idler = report.modules.find((m) => m.id === "idler")!;
    // The sampler went on reading every second: the report's figures are the period's history.
    const history = runtime.resources.history("burner", report);
    expect(burner.samples).toBe(history.length);
    expect(burner.cpuPercent!.avg).toBeGreaterThan(idler.cpuPercent!.avg);
    expect(burner.memoryBytes!.avg).toBeGreaterThan(0); // a worker's heap
    expect(idler).toMatchObject({ errors: 2, restarts: 1 }); // the failed call, and the crash
    expect(burner).toMatchObject({ errors: 0, restarts: 0 });
    const cpus = history.map((p) => p.cpuPercent!);
    expect(burner.cpuPercent!.avg).toBeCloseTo(cpus.reduce((a, b) => a + b, 0) / cpus.length, 9);
    expect(burner.cpuPercent!.peak).toBe(Math.max(...cpus));
    // The machine beside the modules, one figure per round, and never among the top consumers.
    expect(report.machine!.samples).toBe(history.length);
    expect(report.machine!.memoryBytes!.avg).toBeGreaterThan(0);
    expect(report.modules.map((m) => m.id)).toEqual(["burner", "idler"]);

    await runtime.close(); // writes what waits
    const again = createRuntime({ dataDir: h.ws.dataDir, logLevel: "silent", readOnly: true, clock });
    try {
      const later = again.resources.report({ since, module: "burner@1.0.0" });
      expect(later.modules).toHaveLength(1);
      expect(later.modules[0]!.cpuPercent).toEqual(burner.cpuPercent);
      expect(later.machine!.samples).toBeGreaterThanOrEqual(report.machine!.samples);
    } finally {
      await again.close();
    }
  });

  it("refuses a period that is not two instants in order, naming the field", () => {
    const runtime = h.open({ resources: { sampleMs: 0 } });
    const refused = (fn: () => unknown): ChipsetError => {
      try {
        fn();
      } catch (err) {
        return err as ChipsetError;
      }
      throw new Error("not refused");
    };
    const nan = refused(() => runtime.resources.report({ since: Number.NaN }));
    expect(nan.code).toBe(ErrorCodes.OPTIONS_INVALID);
    expect(nan.details).toMatchObject({ field: "since" });
    const reversed = refused(() => runtime.resources.history("m", { since: 2_000, until: 1_000 }));
    expect(reversed.code).toBe(ErrorCodes.OPTIONS_INVALID);
    expect(reversed.message).toContain("since <= until");
  });

  it("has one point per round for a module with 2 replicas, their figures added up", async () => {
    h.ws.module({ name: "pair", chipset: { isolation: "worker", replicas: { min: 2 } }, code: MODULE });
    const clock = new ManualClock();
    const since = clock.wallNow();
    const runtime = h.open({ clock, resources: { sampleMs: 1000 } });
    const rounds: ResourcesSampled[] = [];
    runtime.on("resources.sampled", (e) => rounds.push(e));
    await runtime.start();
    await runtime.start("pair");
    const running = () => runtime.instances().filter((i) => i.id === "pair" && i.state === "running").length;
    while (running() < 2) await new Promise((resolve) => runtime.on("module.started", resolve)); // both replicas up
    for (let i = 0; i < 4; i++) await runtime.call("pair", "idle");
    runtime.resources.sampleNow(); // the first readings
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 6; i++) await runtime.call("pair", "idle");
      await expect(runtime.call("pair", "fail")).rejects.toThrow("asked to fail");
      clock.advance(1000);
    }
    expect(rounds.map((r) => r.samples.length)).toEqual([2, 2]); // one sample per replica, live
    const points = runtime.resources.history("pair", { since });
    expect(points.map((p) => p.at)).toEqual(rounds.map((r) => r.at));
    for (const [i, point] of points.entries()) {
      const samples = rounds[i]!.samples;
      // The known figures added up (a worker's heap is null until it has reported it).
      const total = (f: (s: (typeof samples)[number]) => number | null) => {
        const known = samples.map(f).filter((v) => v !== null);
        return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
      };
      expect(point.calls).toBe(7);
      expect(point.failures).toBe(1);
      expect(point.memoryBytes).toBe(total((s) => s.memoryBytes));
      expect(point.cpuPercent).toBeCloseTo(
        total((s) => s.cpuPercent)!,
        9,
      );
      expect(point.diskBps).toBe(total((s) => s.fsReadBps + s.fsWriteBps));
    }
    await runtime.close();
  });
});
