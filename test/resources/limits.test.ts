import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/common/Clock.js";
import type { Runtime, RuntimeEvents } from "../../src/index.js";
import type { ResourceLimits } from "../../src/vocabulary/resources.js";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();
const MB = 1024 * 1024;

/** `burn(ms)` keeps its thread busy for `ms` of wall time; `idle()` does nothing. */
const BURNER = `export const module = defineModule({ api: {
  burn(ms) { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1); return x > 0; },
  idle() { return true; },
} });`;

/** `hold(mb)` keeps about `mb` MiB of its process's memory in a Buffer filled with data. */
const HOLDER = `const kept = [];
export const module = defineModule({ api: {
  hold(mb) { const b = Buffer.alloc(mb * 1024 * 1024, 7); kept.push(b); return b.length; },
} });`;

type Seen = { name: string; e: RuntimeEvents[keyof RuntimeEvents] };

/** Opens a runtime sampling on a manual clock, recording the resource and crash events and the log lines. */
function open(
  limits: ResourceLimits,
  isolation: "worker" | "process",
  code: string,
  configLimits: ResourceLimits = {},
) {
  h.ws.module({ name: "hog", chipset: { isolation, limits }, code });
  const clock = new ManualClock();
  const lines: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });
  const runtime = h.open({ clock, logger, resources: { sampleMs: 1000, limits: configLimits } });
  const seen: Seen[] = [];
  for (const name of ["resource.warning", "resource.limit", "module.crashed", "module.restarted"] as const)
    runtime.on(name, (e) => void seen.push({ name, e }));
  return { runtime, clock, seen, lines };
}

const cpuUs = (runtime: Runtime): number => runtime.resources.usage("hog")[0]?.usage.cpuUs ?? 0;

/**
 * One sampling interval of the manual clock (1 s): with `busy`, the module first burns until it is
 * charged 200 ms of CPU (20% of the interval, over the tests' 10% limit, however loaded the
 * machine); then the sampler's timer reads it.
 */
async function interval(runtime: Runtime, clock: ManualClock, busy = false): Promise<void> {
  const before = cpuUs(runtime);
  while (busy && cpuUs(runtime) - before < 200_000) await runtime.call("hog", "burn", [50]);
  clock.advance(1000);
}

/** Resolves once the module was restarted: the supervisor's backoff (100 ms, then 200 ms) passes on the manual clock. */
function restart(runtime: Runtime, clock: ManualClock): Promise<unknown> {
  return new Promise((resolve) => {
    const restarting = runtime.on("module.restarting", (e) => {
      restarting.dispose();
      // Its timer is set once the event is out.
      queueMicrotask(() => clock.advance(e.delayMs));
    });
    const restarted = runtime.on("module.restarted", (e) => {
      restarted.dispose();
      resolve(e);
    });
  });
}

const summary = (seen: Seen[]) =>
  seen.map(({ name, e }) => {
    if (name === "resource.warning") return `warning ${String((e as { active: boolean }).active)}`;
    if (name === "resource.limit") return `limit ${(e as { action: string }).action}`;
    if (name === "module.crashed") return `crashed ${(e as { kind: string }).kind}`;
    return "restarted";
  });

describe("a resource limit's action", () => {
  it("stop: a worker burning CPU over cpuPercent is ended and stays down, its calls refused, until an operator restarts it", async () => {
    const { runtime, clock, seen, lines } = open({ cpuPercent: 10, action: "stop" }, "worker", BURNER);
    await runtime.start();
    await runtime.call("hog", "idle");
    runtime.resources.sampleNow();
    await interval(runtime, clock, true);
    expect(summary(seen)).toEqual(["warning true"]); // one sample over the limit is not yet held
    await interval(runtime, clock, true);
    expect(seen[1]!.e).toMatchObject({ id: "hog", version: "1.0.0", resource: "cpu", limit: 10, unit: "%" });
    await vi.waitFor(() =>
      expect(summary(seen)).toEqual(["warning true", "limit stop", "crashed resource-stop"]),
    );
    // Nothing restarts it, however long: later samples neither bring it back nor act again.
    for (let i = 0; i < 4; i++) clock.advance(1000);
    expect(summary(seen).filter((s) => s !== "warning false")).toEqual([
      "warning true",
      "limit stop",
      "crashed resource-stop",
    ]);
    const refused = await runtime.call("hog", "idle").catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: "CHIP_ERR_MODULE_DOWN" });
    expect((refused as Error).message).toMatch(/stopped at its resource limit .*chipset restart hog/);
    expect(lines.join("")).toMatch(
      /hog@1\.0\.0 held cpu at [\d.]+ %, over its limit of 10 %, for 2 samples; action: stop/,
    );
    // An operator's restart (unload, then start: the next call starts it) brings it back.
    await runtime.unload("hog");
    await expect(runtime.call("hog", "idle")).resolves.toBe(true);
  });

  it("restart: a worker over cpuPercent gets a fresh thread through its supervisor, and is restarted again only after two new samples", async () => {
    const { runtime, clock, seen } = open({ cpuPercent: 10, action: "restart" }, "worker", BURNER);
    await runtime.start();
    await runtime.call("hog", "idle");
    const before = runtime.queries.info("hog").instance!.host.threadId;
    runtime.resources.sampleNow();
    await interval(runtime, clock, true);
    const restarted = restart(runtime, clock);
    await interval(runtime, clock, true);
    await restarted;
    expect(summary(seen)).toEqual(["warning true", "limit restart", "crashed resource-limit", "restarted"]);
    expect(runtime.queries.info("hog").instance!.host.threadId).not.toBe(before);
    const crash = seen[2]!.e as RuntimeEvents["module.crashed"];
    expect(crash.error.message).toMatch(/held cpu at [\d.]+ %, over its limit of 10 %, for 2 samples/);
    // The new load's first reading starts its first interval; one sample over is not enough.
    await interval(runtime, clock);
    await interval(runtime, clock, true);
    expect(summary(seen).filter((s) => s === "limit restart")).toHaveLength(1);
    const again = restart(runtime, clock);
    await interval(runtime, clock, true);
    await again;
    expect(summary(seen).filter((s) => s === "limit restart")).toHaveLength(2);
  });
});

describe("a resource threshold", () => {
  it("warns once while a process module holds more memory than warnAt of its limit, however many samples", async () => {
    // The limit itself (200 MB) is far off: the warning alone, no action, no crash.
    const { runtime, clock, seen, lines } = open({ memoryMb: 200, warnAt: 0.5 }, "process", HOLDER);
    await runtime.start();
    await runtime.call("hog", "hold", [1]);
    runtime.resources.sampleNow();
    await runtime.call("hog", "hold", [110]);
    await vi.waitFor(() => expect(runtime.resources.usage("hog")[0]!.usage.rss!).toBeGreaterThan(110 * MB), {
      timeout: 20_000,
    });
    for (let i = 0; i < 6; i++) await interval(runtime, clock);
    expect(summary(seen)).toEqual(["warning true"]);
    expect(seen[0]!.e).toMatchObject({
      resource: "memory",
      limit: 200,
      threshold: 100,
      unit: "MB",
      active: true,
    });
    expect((seen[0]!.e as { value: number }).value).toBeGreaterThan(100);
    expect(lines.join("")).toMatch(
      /hog@1\.0\.0 uses [\d.]+ MB of memory, past 100 MB \(warnAt of its limit of 200 MB\)/,
    );
  });

  it("takes the config's resources.limits for a module whose manifest sets none", async () => {
    const { runtime, clock, seen } = open({}, "worker", BURNER, { cpuPercent: 10, warnAt: 0.5 });
    await runtime.start();
    await runtime.call("hog", "idle");
    runtime.resources.sampleNow();
    await interval(runtime, clock, true);
    await interval(runtime, clock, true);
    // The default action is warn: the module keeps running.
    expect(summary(seen)).toEqual(["warning true", "limit warn"]);
    expect(runtime.queries.info("hog").state).toBe("running");
  });
});
