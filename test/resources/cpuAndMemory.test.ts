import { describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/common/Clock.js";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();
const MB = 1024 * 1024;

/**
 * `burn(ms)` keeps its thread busy until the thread itself has had `ms` of CPU time (as the
 * kernel counts it for that thread: on a loaded machine that takes longer than `ms`); `idle()`
 * does nothing.
 */
const BURNER = `import fs from "node:fs";
function cpuMs() {
  if (typeof process.threadCpuUsage === "function") {
    const { user, system } = process.threadCpuUsage();
    return (user + system) / 1000;
  }
  const stat = fs.readFileSync("/proc/thread-self/stat", "latin1");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}
export const module = defineModule({ api: {
  burn(ms) { const end = cpuMs() + ms; let x = 0; while (cpuMs() < end) for (let i = 0; i < 1e5; i++) x += Math.sqrt(i); return x > 0; },
  idle() { return true; },
} });`;

/** `hold(mb)` keeps about `mb` MiB of its process's memory in a Buffer filled with data. */
const HOLDER = `const kept = [];
export const module = defineModule({ api: {
  hold(mb) { const b = Buffer.alloc(mb * 1024 * 1024, 7); kept.push(b); return b.length; },
} });`;

describe.each(["worker", "process"] as const)("the CPU of a module in a %s host", (isolation) => {
  it("is charged to the module that burns it, and almost none to an idle neighbour", async () => {
    h.ws.module({ name: "burner", chipset: { isolation }, code: BURNER });
    h.ws.module({ name: "neighbour", chipset: { isolation }, code: BURNER });
    const clock = new ManualClock();
    const runtime = h.open({ clock, resources: { sampleMs: 1000 } });
    await runtime.start();
    await runtime.call("neighbour", "idle");
    await runtime.call("burner", "idle");
    runtime.resources.sampleNow();
    await runtime.call("burner", "burn", [1000]);
    clock.advance(1000); // the sampler's timer reads every module: the interval is this second
    const burner = runtime.resources.latest("burner")[0];
    const neighbour = runtime.resources.latest("neighbour")[0]!;
    // At least 80% of the second burnt is charged (a loaded machine may take some of the thread's time).
    expect(burner!.totals.cpuSeconds).toBeGreaterThanOrEqual(0.8);
    expect(burner!.cpuPercent!).toBeGreaterThanOrEqual(80);
    expect(neighbour.totals.cpuSeconds).toBeLessThan(0.2);
    expect(neighbour.cpuPercent!).toBeLessThan(10);
  });
});

describe("the memory of a process module", () => {
  it("shows the 100 MB it holds in its resident memory", async () => {
    h.ws.module({ name: "holder", chipset: { isolation: "process" }, code: HOLDER });
    const runtime = h.open({ resources: { sampleMs: 1000 } });
    await runtime.start();
    await runtime.call("holder", "hold", [1]);
    const before = runtime.resources.usage("holder")[0]!.usage.rss!;
    await runtime.call("holder", "hold", [100]);
    await vi.waitFor(
      () => expect(runtime.resources.usage("holder")[0]!.usage.rss!).toBeGreaterThan(before + 95 * MB),
      {
        timeout: 20_000,
      },
    );
  });
});

describe("the machine's figures beside the modules", () => {
  it("say the load, memory, the data directory's disk and the host process, with CPU once read twice", () => {
    const clock = new ManualClock();
    const runtime = h.open({ clock });
    const first = runtime.resources.system();
    expect(first.cpus).toBeGreaterThan(0);
    expect(first.memory.availableBytes).toBeGreaterThan(0);
    expect(first.memory.usedBytes + first.memory.availableBytes).toBe(first.memory.totalBytes);
    expect(first.disk?.totalBytes).toBeGreaterThan(0);
    expect(first.process.pid).toBe(process.pid);
    expect(first.cpuPercent).toBeNull();
    // Read again within half a sampling interval: the same reading.
    expect(runtime.resources.system()).toBe(first);
    clock.advance(1000);
    const second = runtime.resources.system();
    expect(second.at).toBe(first.at + 1000);
    if (second.network !== null) expect(second.network.connections).toBeGreaterThanOrEqual(0);
  });
});
