import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import { Database } from "../store/Database.js";
import type { ResourceSample } from "../vocabulary/resources.js";
import { FLUSH_EVERY_MS, PRUNE_EVERY_MS, ResourceHistory } from "./ResourceHistory.js";
import type { ModuleResourceReport, PeriodIncidents } from "./ResourceReport.js";
import { SampleStore, type Retention } from "./SampleStore.js";

/** A minute boundary, so that tests can say which minute a sample falls in. */
const T0 = 1_700_000_040_000;
const MB = 1024 * 1024;
const none: PeriodIncidents = { restarts: [], errors: [] };
const keepAll: Retention = {
  rawRetentionMs: 3_600_000,
  rollupRetentionMs: 7 * 86_400_000,
  maxRows: 1_000_000,
};

let root: string;
let dbs: Database[];
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-history-"));
  dbs = [];
});
afterEach(() => {
  for (const db of dbs) db.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function open(): SampleStore {
  const db = Database.open(root);
  dbs.push(db);
  return new SampleStore(db);
}

function history(store: SampleStore, clock: ManualClock, retention = keepAll): ResourceHistory {
  return new ResourceHistory({
    clock,
    store,
    retention,
    onError: (err) => {
      throw err;
    },
  });
}

interface Figures {
  cpu?: number | null;
  memory?: number | null;
  fsRead?: number;
  fsWrite?: number;
  netIn?: number;
  netOut?: number;
  calls?: number | null;
  failures?: number | null;
  p99Ms?: number | null;
}

function sample(ref: string, at: number, f: Figures): ResourceSample {
  const [id, version] = ref.split("@") as [string, string];
  return {
    id,
    version,
    isolation: "worker",
    at,
    intervalMs: 1000,
    cpuPercent: f.cpu ?? null,
    elu: null,
    memoryBytes: f.memory ?? null,
    heapUsedBytes: f.memory ?? null,
    rssBytes: null,
    fsReadBps: f.fsRead ?? 0,
    fsWriteBps: f.fsWrite ?? 0,
    netInBps: f.netIn ?? 0,
    netOutBps: f.netOut ?? 0,
    calls: f.calls === undefined ? 0 : f.calls,
    failures: f.failures === undefined ? null : f.failures,
    p99Ms: f.p99Ms === undefined ? null : f.p99Ms,
    totals: { cpuSeconds: 0, fsReadBytes: 0, fsWriteBytes: 0, netInBytes: 0, netOutBytes: 0 },
  };
}

/** One sample a second from `T0 + 1 s` on, `n` of them, with the figures `f(i)` gives. */
function series(ref: string, n: number, f: (i: number) => Figures, start = T0): ResourceSample[] {
  return Array.from({ length: n }, (_, i) => sample(ref, start + (i + 1) * 1000, f(i)));
}

const of = (modules: ModuleResourceReport[], key: string) =>
  modules.find((m) => `${m.id}@${m.version}` === key)!;

describe("a resource report over stored samples", () => {
  it("has exactly the averages, peaks, p95 and trends of the samples written", () => {
    const clock = new ManualClock(T0);
    const h = history(open(), clock);
    // cpu climbs 10, 20 ... 100 %; memory holds 100 MB; network falls 1000 ... 100 B/s; disk: 30 + 10 B/s.
    h.record(
      series("rising@1.0.0", 10, (i) => ({ cpu: 10 * (i + 1), memory: 100 * MB, fsRead: 30, fsWrite: 10 })),
    );
    h.record(series("falling@2.0.0", 10, (i) => ({ cpu: 5, netIn: 600 - 50 * i, netOut: 400 - 50 * i })));
    const report = h.report(undefined, T0, T0 + 60_000, none);

    expect(report.modules.map((m) => `${m.id}@${m.version}`)).toEqual(["falling@2.0.0", "rising@1.0.0"]);
    const rising = of(report.modules, "rising@1.0.0");
    expect(rising.samples).toBe(10);
    expect(rising.cpuPercent).toMatchObject({ avg: 55, peak: 100, p95: 100, trend: "rising" });
    // 10 % more every second: 36 000 % an hour.
    expect(rising.cpuPercent!.slopePerHour).toBeCloseTo(36_000, 6);
    expect(rising.memoryBytes).toMatchObject({
      avg: 100 * MB,
      peak: 100 * MB,
      slopePerHour: 0,
      trend: "flat",
    });
    expect(rising.diskBps).toMatchObject({ avg: 40, peak: 40, trend: "flat" });
    expect(rising.networkBps).toMatchObject({ avg: 0, peak: 0, trend: "flat" });

    const falling = of(report.modules, "falling@2.0.0");
    expect(falling.memoryBytes).toBeNull(); // not attributable, as for an inline module
    expect(falling.networkBps).toMatchObject({ avg: 550, peak: 1000, p95: 1000, trend: "falling" });
    expect(falling.networkBps!.slopePerHour).toBeCloseTo(-100 * 3600, 6);

    expect(report.top.cpuPercent.map((t) => t.module)).toEqual(["rising@1.0.0", "falling@2.0.0"]);
    expect(report.top.memoryBytes.map((t) => t.module)).toEqual(["rising@1.0.0"]);
    expect(report.top.networkBps).toEqual([{ module: "falling@2.0.0", avg: 550, peak: 1000 }]);
    expect(report.top.diskBps.map((t) => t.module)).toEqual(["rising@1.0.0"]);
  });

  it("takes the 95th percentile by nearest rank", () => {
    const h = history(open(), new ManualClock(T0));
    h.record(series("m@1.0.0", 20, (i) => ({ cpu: 20 - i })));
    expect(h.report("m", T0, T0 + 60_000, none).modules[0]!.cpuPercent!.p95).toBe(19);
  });

  it("calls a change of no more than a tenth of the average over the period flat", () => {
    const h = history(open(), new ManualClock(T0));
    // 100 -> 108 over the period: +7.7 % of the average 104; 100 -> 118: +16.5 %.
    h.record(series("gentle@1.0.0", 9, (i) => ({ memory: 100 + i })));
    h.record(series("steep@1.0.0", 10, (i) => ({ memory: 100 + 2 * i })));
    const report = h.report(undefined, T0, T0 + 60_000, none);
    expect(of(report.modules, "gentle@1.0.0").memoryBytes!.trend).toBe("flat");
    expect(of(report.modules, "steep@1.0.0").memoryBytes!.trend).toBe("rising");
  });

  it("counts the period's restarts and errors per module version, and in all", () => {
    const h = history(open(), new ManualClock(T0));
    h.record(series("a@1.0.0", 2, () => ({ cpu: 1 })));
    const report = h.report(undefined, T0, T0 + 60_000, {
      restarts: [{ id: "a", version: "1.0.0", count: 2 }],
      errors: [
        { id: "a", version: "1.0.0", count: 3 },
        { id: "b", version: "2.0.0", count: 1 },
        { id: null, version: null, count: 4 },
      ],
    });
    expect(of(report.modules, "a@1.0.0")).toMatchObject({ restarts: 2, errors: 3, samples: 2 });
    // A module with errors and no samples is reported, without figures.
    expect(of(report.modules, "b@2.0.0")).toMatchObject({ errors: 1, samples: 0, cpuPercent: null });
    expect(report).toMatchObject({ restarts: 2, errors: 8 });
  });

  it("only covers the period and the module asked for", () => {
    const h = history(open(), new ManualClock(T0));
    h.record(series("a@1.0.0", 10, (i) => ({ cpu: i })));
    h.record(series("a@2.0.0", 10, () => ({ cpu: 50 })));
    h.record(series("b@1.0.0", 10, () => ({ cpu: 50 })));
    const report = h.report("a@1.0.0", T0 + 5_000, T0 + 8_000, none);
    expect(report.module).toBe("a@1.0.0");
    expect(report.modules).toHaveLength(1);
    expect(report.modules[0]!.cpuPercent).toMatchObject({ avg: 5, peak: 6 }); // samples at 5, 6, 7 s (not 8: `until` is not in the period): 4, 5, 6
    expect(h.report("a", T0, T0 + 60_000, none).modules.map((m) => m.version)).toEqual(["1.0.0", "2.0.0"]);
  });
});

describe("the stored resource history", () => {
  it("writes samples in batches off the sampling path, and another process reads them", () => {
    const clock = new ManualClock(T0);
    const store = open();
    const h = history(store, clock);
    h.record(series("m@1.0.0", 3, (i) => ({ cpu: i })));
    h.record(series("m@1.0.0", 3, (i) => ({ cpu: i }), T0 + 3_000));
    expect(store.rows()).toEqual({ raw: 0, minutes: 0 }); // waiting in memory
    clock.advance(FLUSH_EVERY_MS);
    expect(store.rows()).toEqual({ raw: 6, minutes: 1 });
    // A second connection, as `chipset report` without a host opens.
    const other = open();
    const points = other.history({ id: "m" }, T0, T0 + 60_000);
    expect(points.map((p) => p.at)).toEqual([1, 2, 3, 4, 5, 6].map((s) => T0 + s * 1000));
    expect(points.every((p) => p.resolution === "raw")).toBe(true);
  });

  it("writes what waits when disposed, and is read after the database is opened again", () => {
    const store = open();
    const h = history(store, new ManualClock(T0));
    h.record(series("m@1.0.0", 4, () => ({ cpu: 25 })));
    h.dispose();
    dbs.pop()!.close();
    const again = new ResourceHistory({
      clock: new ManualClock(T0),
      store: open(),
      retention: keepAll,
      onError: () => {},
    });
    expect(again.report("m", T0, T0 + 60_000, none).modules[0]!.cpuPercent!.avg).toBe(25);
  });

  it("keeps one-minute roll-ups once raw samples are older than rawRetentionMs, and the report stays exact", () => {
    const clock = new ManualClock(T0);
    const store = open();
    const h = history(store, clock, { ...keepAll, rawRetentionMs: 60_000 });
    // Three minutes of samples: cpu i % and memory i MB in the i-th second; the last minute spikes to 500 %.
    const samples = series("m@1.0.0", 180, (i) => ({ cpu: i === 150 ? 500 : i, memory: i * MB }));
    h.record(samples);
    h.flush();
    clock.advance(180_000); // now T0 + 3 min: raw samples before T0 + 2 min are pruned
    h.start();
    const points = h.history("m", T0, T0 + 181_000);
    const minutes = points.filter((p) => p.resolution === "minute");
    expect(minutes.map((p) => p.at)).toEqual([T0, T0 + 60_000]);
    expect(minutes[0]).toMatchObject({ samples: 59, cpuPercent: 29, cpuPercentMax: 58 }); // seconds 1..59
    expect(points.filter((p) => p.resolution === "raw")).toHaveLength(61); // seconds 120..180
    const report = h.report("m", T0, T0 + 181_000, none);
    const m = report.modules[0]!;
    expect(m.samples).toBe(180);
    const cpus = samples.map((s) => s.cpuPercent!);
    expect(m.cpuPercent!.avg).toBeCloseTo(cpus.reduce((a, b) => a + b, 0) / 180, 9);
    expect(m.cpuPercent!.peak).toBe(500);
    expect(m.memoryBytes!.peak).toBe(179 * MB);
    expect(m.memoryBytes!.trend).toBe("rising");
    h.dispose();
  });

  it("rolls the calls of a minute up into their sums, the average and the highest of its p99s, written in two batches", () => {
    const clock = new ManualClock(T0);
    const store = open();
    const h = history(store, clock, { ...keepAll, rawRetentionMs: 60_000 });
    // Seconds 1..59 of the first minute: i calls, one failure every tenth second, a p99 of i ms
    // every other second (none in the others: no call succeeded).
    const calls = (i: number) => ({
      calls: i + 1,
      failures: i % 10 === 0 ? 1 : 0,
      p99Ms: i % 2 === 0 ? i : null,
    });
    const samples = series("m@1.0.0", 59, calls);
    h.record(samples.slice(0, 30));
    h.flush();
    h.record(samples.slice(30));
    h.record([sample("old@1.0.0", T0 + 1000, { calls: null, failures: null })]);
    h.flush();
    clock.advance(180_000);
    h.start(); // prunes the raw samples: only the roll-ups are left
    const [minute] = h.history("m", T0, T0 + 60_000);
    const p99s = samples.map((s) => s.p99Ms).filter((p) => p !== null);
    expect(minute).toMatchObject({
      resolution: "minute",
      samples: 59,
      calls: (59 * 60) / 2,
      failures: 6,
      p99Ms: p99s.reduce((a, b) => a + b, 0) / p99s.length,
      p99MsMax: 58,
    });
    // A version that kept no calls (history written before they were) has them null, not zero.
    expect(h.history("old", T0, T0 + 60_000)[0]).toMatchObject({ calls: null, failures: null, p99Ms: null });
    h.dispose();
  });

  it("answers one point per round for a module with 2 replicas: their figures added up, the highest p99, in raw points and roll-ups", () => {
    const clock = new ManualClock(T0);
    const store = open();
    const h = history(store, clock, { ...keepAll, rawRetentionMs: 60_000 });
    // Seconds 1..4 of the first minute, and 61..64 of the second: replica 0 carries the version's
    // failures and p99 (the sampler gives them once per version), replica 1 has its own CPU and calls.
    const rounds = [1, 2, 3, 4, 61, 62, 63, 64].flatMap((second, i) => {
      const at = T0 + second * 1000;
      const first = sample("r@1.0.0", at, {
        cpu: 10,
        memory: 100 * MB,
        fsRead: 5,
        netIn: 7,
        calls: 3,
        failures: i % 2,
        p99Ms: 20 + i,
      });
      const second_ = {
        ...sample("r@1.0.0", at, { cpu: 30, memory: 50 * MB, fsWrite: 1, netOut: 2, calls: 4 }),
        replica: 1,
      };
      return [first, second_];
    });
    h.record(rounds);
    h.flush();
    const raw = h.history("r", T0, T0 + 120_000);
    expect(raw.map((p) => p.at)).toEqual([1, 2, 3, 4, 61, 62, 63, 64].map((s) => T0 + s * 1000));
    expect(raw[1]).toMatchObject({
      resolution: "raw",
      cpuPercent: 40,
      memoryBytes: 150 * MB,
      diskBps: 6,
      networkBps: 9,
      calls: 7,
      failures: 1,
      p99Ms: 21,
    });

    clock.advance(120_000);
    h.start(); // prunes the first minute's raw samples: its roll-up stands for it
    const [minute, ...rest] = h.history("r", T0, T0 + 120_000);
    expect(minute).toMatchObject({
      resolution: "minute",
      samples: 4, // rounds, not replica samples
      cpuPercent: 40,
      cpuPercentMax: 40,
      memoryBytes: 150 * MB,
      memoryBytesMax: 150 * MB,
      diskBps: 6,
      networkBps: 9,
      calls: 28,
      failures: 2,
      p99Ms: 21.5,
      p99MsMax: 23,
    });
    expect(rest.map((p) => [p.resolution, p.cpuPercent, p.calls])).toEqual(
      Array.from({ length: 4 }, () => ["raw", 40, 7]),
    );
    h.dispose();
  });

  it("adds up the replicas' rows of history written one row per replica", () => {
    const store = open();
    const at = T0 + 1000;
    // As written before replicas were added up: each replica's row on its own.
    store.append([sample("r@1.0.0", at, { cpu: 10, memory: 5, calls: 1, failures: 0, p99Ms: 9 })]);
    store.append([{ ...sample("r@1.0.0", at, { cpu: 30, memory: 7, calls: 2, p99Ms: null }), replica: 1 }]);
    expect(store.rows().raw).toBe(2);
    expect(
      store
        .history({ id: "r" }, T0, T0 + 60_000)
        .map((p) => [p.cpuPercent, p.memoryBytes, p.calls, p.failures, p.p99Ms]),
    ).toEqual([[40, 12, 3, 0, 9]]);
  });

  it("deletes roll-ups older than rollupRetentionMs on its interval, and keeps at most maxRows rows, newest", () => {
    const clock = new ManualClock(T0);
    const store = open();
    const h = history(store, clock, {
      rawRetentionMs: 60_000,
      rollupRetentionMs: 600_000,
      maxRows: 1_000_000,
    });
    // One sample a minute for 20 minutes: 20 raw rows, 20 roll-ups.
    h.record(Array.from({ length: 20 }, (_, i) => sample("m@1.0.0", T0 + i * 60_000 + 1_000, { cpu: i })));
    h.flush();
    h.start();
    expect(store.rows()).toEqual({ raw: 20, minutes: 20 }); // nothing old yet at T0
    clock.advance(20 * 60_000 - PRUNE_EVERY_MS);
    clock.advance(PRUNE_EVERY_MS); // the interval prunes at T0 + 20 min
    // Raw: minutes 19 and later; roll-ups: minute 10 and later.
    expect(store.rows()).toEqual({ raw: 1, minutes: 10 });

    store.prune(clock.wallNow(), { rawRetentionMs: 60_000, rollupRetentionMs: 600_000, maxRows: 5 });
    expect(store.rows()).toEqual({ raw: 1, minutes: 4 }); // the oldest roll-ups went first
    const left = store.history({ id: "m" }, T0, T0 + 3_600_000);
    // Minute 19 is raw: its roll-up stands behind the raw sample.
    expect(left.map((p) => [p.resolution, p.cpuPercent])).toEqual([
      ["minute", 16],
      ["minute", 17],
      ["minute", 18],
      ["raw", 19],
    ]);
    h.dispose();
  });
});
