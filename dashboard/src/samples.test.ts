import { describe, expect, it } from "vitest";
import type { LiveInstance, ModuleView, ResourceSample } from "./api/types.js";
import { byVersion, wholeModule, type Sample } from "./samples.js";

const reading = (cpu: number, memory: number | null): ResourceSample => ({
  at: 1000,
  cpuPercent: cpu,
  memoryBytes: memory,
  rssBytes: memory,
  heapUsedBytes: null,
  fsReadBps: 1,
  fsWriteBps: 2,
  netInBps: 3,
  netOutBps: 4,
});

const sample = (replica: number, cpu: number, calls: number, p99: number | null): Sample => ({
  ...reading(cpu, 100),
  id: "pool",
  version: "1.0.0",
  replica,
  intervalMs: 1000,
  calls,
  p99Ms: p99,
});

describe("a replicated module's figures", () => {
  it("add up its replicas' samples of a round, with the worst p99", () => {
    const round = byVersion([sample(0, 10, 5, 2), sample(1, 20, 7, 9), sample(2, 5, 1, null)]);
    expect(round.size).toBe(1);
    expect(round.get("pool@1.0.0")).toMatchObject({
      cpuPercent: 35,
      memoryBytes: 300,
      calls: 13,
      p99Ms: 9,
      fsReadBps: 3,
      netOutBps: 12,
    });
  });

  it("add up in the table's row, restarts too; a module of one instance is left as it is", () => {
    const live = (replica: number, cpu: number, restarts: number): LiveInstance => ({
      version: "1.0.0",
      replica,
      state: "running",
      host: { isolation: "worker", pid: 1, threadId: replica + 1 },
      calls: 0,
      uptimeMs: 1,
      restarts,
      resources: reading(cpu, 50),
      failedCalls: 0,
      p99Ms: null,
    });
    const base = {
      id: "pool",
      version: "1.0.0",
      kind: "k",
      description: "",
      activation: "lazy",
      isolation: "worker",
      state: "running",
      ready: true,
      breakers: [],
    };
    const replicated: ModuleView = {
      ...base,
      instance: live(0, 10, 1),
      replicas: [live(0, 10, 1), live(1, 15, 2)],
    };
    expect(wholeModule(replicated).instance).toMatchObject({
      restarts: 3,
      resources: { cpuPercent: 25, memoryBytes: 100 },
    });
    const single: ModuleView = { ...base, instance: live(0, 10, 1), replicas: [] };
    expect(wholeModule(single)).toBe(single);
  });
});
