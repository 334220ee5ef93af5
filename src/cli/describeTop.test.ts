import { describe, expect, it } from "vitest";
import type { SystemFigures } from "../resources/SystemMeter.js";
import type { LiveInstance, ModuleView } from "../server/ModuleViews.js";
import { topLines, topSnapshot, type TopReading } from "./describeTop.js";

const system: SystemFigures = {
  at: 0,
  loadAverage: [0.5, 0.4, 0.3],
  cpus: 2,
  cpuPercent: 25,
  memory: { totalBytes: 8 * 2 ** 30, availableBytes: 6 * 2 ** 30, usedBytes: 2 * 2 ** 30 },
  disk: null,
  network: null,
  process: { pid: 42, rssBytes: 100 * 2 ** 20, heapUsedBytes: 20 * 2 ** 20, uptimeSeconds: 90 },
};

function view(id: string, calls: number, cpuPercent: number | null, memoryBytes: number | null): ModuleView {
  const instance = {
    version: "1.0.0",
    state: "running",
    host: { isolation: memoryBytes === null ? "inline" : "worker", pid: 42, threadId: 1 },
    calls,
    uptimeMs: 1000,
    restarts: 0,
    resources:
      cpuPercent === null
        ? null
        : {
            cpuPercent,
            memoryBytes,
            heapUsedBytes: memoryBytes,
            elu: 0.5,
            fsReadBps: 0,
            fsWriteBps: 2048,
            netInBps: 0,
            netOutBps: 0,
          },
    failedCalls: 1,
    p99Ms: 2.5,
  } as unknown as LiveInstance;
  return { id, version: "1.0.0", instance } as unknown as ModuleView;
}

const reading = (at: number, modules: ModuleView[]): TopReading => ({ at, modules, system });

describe("chipset top's snapshot", () => {
  it("counts calls per second between two readings, from zero for an instance made again", () => {
    const before = reading(0, [view("a", 10, 1, 1), view("b", 50, 1, 1)]);
    const after = reading(2000, [view("a", 30, 1, 1), view("b", 4, 1, 1)]);
    const rows = topSnapshot(after, before, "id").modules;
    expect(rows.map((r) => [r.id, r.callsPerSecond])).toEqual([
      ["a", 10],
      ["b", 2],
    ]);
    expect(topSnapshot(after, undefined, "id").modules[0]?.callsPerSecond).toBeNull();
  });

  it("sorts by CPU with the unmeasured last, and by memory, largest first", () => {
    const now = reading(0, [view("idle", 0, 0.5, 10), view("hot", 0, 90, 5), view("new", 0, null, null)]);
    expect(topSnapshot(now, undefined, "cpu").modules.map((r) => r.id)).toEqual(["hot", "idle", "new"]);
    expect(topSnapshot(now, undefined, "mem").modules.map((r) => r.id)).toEqual(["idle", "hot", "new"]);
  });

  it("shows a dash where a figure is not measured, and leaves modules that are not loaded out", () => {
    const notLoaded = { id: "off", version: "1.0.0", instance: null } as unknown as ModuleView;
    const lines = topLines(
      topSnapshot(reading(0, [view("inline", 3, 1.25, null), notLoaded]), undefined, "cpu"),
      "cpu",
      1000,
    );
    expect(lines[0]).toBe(
      "chipset top  host pid 42, up 1m, 100.0 MB resident  (every 1 s, by cpu; Ctrl-C quits)",
    );
    expect(lines[1]).toBe(
      "load 0.50 0.40 0.30  cpu 25.0% of 2 CPUs  mem 2.0 GB used, 6.0 GB available of 8.0 GB",
    );
    expect(lines[2]).toBe("disk -  net -");
    expect(lines[5]).toMatch(
      /^inline\s+1\.0\.0\s+inline\s+1\.3%\s+-\s+-\s+50%\s+0 B\s+2\.0 KB\s+0 B\s+0 B\s+-\s+2\.5 ms\s+1$/,
    );
    expect(lines.join("\n")).not.toContain("off");
  });
});
