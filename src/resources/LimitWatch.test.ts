import { describe, expect, it } from "vitest";
import type { ResourceLimits, ResourceSample } from "../vocabulary/resources.js";
import { effectiveLimits, LimitWatch, type LimitDecision } from "./LimitWatch.js";

const MB = 1024 * 1024;
const SECOND = 1000;

/** Synthetic samples of one module, one second apart, each continuing the one before. */
function series(isolation: ResourceSample["isolation"] = "worker") {
  let at = 1_700_000_000_000;
  return (figures: Partial<ResourceSample>): ResourceSample => {
    at += SECOND;
    return {
      id: "codec",
      version: "1.0.0",
      isolation,
      at,
      intervalMs: SECOND,
      cpuPercent: 0,
      elu: 0,
      memoryBytes: 10 * MB,
      heapUsedBytes: 10 * MB,
      rssBytes: null,
      fsReadBps: 0,
      fsWriteBps: 0,
      netInBps: 0,
      netOutBps: 0,
      calls: 0,
      failures: null,
      p99Ms: null,
      totals: { cpuSeconds: 0, fsReadBytes: 0, fsWriteBytes: 0, netInBytes: 0, netOutBytes: 0 },
      ...figures,
    };
  };
}

function watching(limits: ResourceLimits) {
  const watch = new LimitWatch(() => limits);
  const seen: LimitDecision[] = [];
  return {
    seen,
    feed: (...samples: ResourceSample[]) => {
      for (const s of samples) seen.push(...watch.observe([s]));
    },
    watch,
  };
}

const names = (seen: LimitDecision[]) =>
  seen.map((d) =>
    d.event === "resource.warning" ? `warning ${String(d.payload.active)}` : `limit ${d.payload.action}`,
  );

describe("LimitWatch", () => {
  it("warns once when memory crosses warnAt of its limit, however many samples stay above it", () => {
    const next = series();
    const w = watching({ memoryMb: 100 });
    w.feed(next({ memoryBytes: 50 * MB }));
    for (let i = 0; i < 20; i++) w.feed(next({ memoryBytes: 85 * MB }));
    expect(w.seen).toEqual([
      {
        event: "resource.warning",
        payload: {
          id: "codec",
          version: "1.0.0",
          resource: "memory",
          value: 85,
          limit: 100,
          unit: "MB",
          threshold: 80,
          active: true,
        },
      },
    ]);
  });

  it("clears a warning only below 90% of the threshold, so a figure hovering at it warns once", () => {
    const next = series();
    const w = watching({ cpuPercent: 100, warnAt: 0.5 });
    // Threshold 50%; clears below 45%.
    for (const cpu of [55, 48, 51, 46, 52, 44, 47, 60]) w.feed(next({ cpuPercent: cpu }));
    expect(names(w.seen)).toEqual(["warning true", "warning false", "warning true"]);
    const cleared = w.seen[1]!.payload as { value: number; threshold: number };
    expect(cleared).toMatchObject({ value: 44, threshold: 50 });
  });

  it("takes the action once when a limit is held for two consecutive samples, and again only after it fell back", () => {
    const next = series();
    const w = watching({ cpuPercent: 50, action: "stop" });
    w.feed(next({ cpuPercent: 90 }));
    expect(names(w.seen)).toEqual(["warning true"]);
    w.feed(next({ cpuPercent: 95 }));
    expect(names(w.seen)).toEqual(["warning true", "limit stop"]);
    for (let i = 0; i < 10; i++) w.feed(next({ cpuPercent: 99 }));
    expect(names(w.seen)).toEqual(["warning true", "limit stop"]);
    // One sample at the limit ends the run; one above it alone is not held.
    w.feed(next({ cpuPercent: 50 }), next({ cpuPercent: 70 }), next({ cpuPercent: 10 }));
    w.feed(next({ cpuPercent: 70 }), next({ cpuPercent: 80 }));
    expect(names(w.seen)).toEqual([
      "warning true",
      "limit stop",
      "warning false",
      "warning true",
      "limit stop",
    ]);
    expect(w.seen[1]!.payload).toMatchObject({
      resource: "cpu",
      value: 95,
      limit: 50,
      unit: "%",
      action: "stop",
    });
  });

  it("counts two new samples after the module is loaded afresh (a restart), not the ones before", () => {
    const next = series();
    const w = watching({ memoryMb: 100, action: "restart" });
    w.feed(next({ memoryBytes: 120 * MB }), next({ memoryBytes: 130 * MB }));
    expect(names(w.seen)).toEqual(["warning true", "limit restart"]);
    // Restarted: the sampler's first reading of the new load gives no sample, so the next
    // one's interval does not start where the last one ended.
    next({});
    w.feed(next({ memoryBytes: 140 * MB }));
    expect(names(w.seen)).toEqual(["warning true", "limit restart"]);
    w.feed(next({ memoryBytes: 140 * MB }));
    expect(names(w.seen)).toEqual(["warning true", "limit restart", "limit restart"]);
  });

  it("does not check a figure the sample cannot attribute (an inline module's memory)", () => {
    const next = series("inline");
    const w = watching({ memoryMb: 1 });
    for (let i = 0; i < 5; i++) w.feed(next({ memoryBytes: null, heapUsedBytes: null }));
    expect(w.seen).toEqual([]);
  });

  it("reads disk and network as MB per minute of bytes read and written, received and sent", () => {
    const next = series();
    const w = watching({ diskMbPerMin: 60, networkMbPerMin: 120, warnAt: 1 });
    // 0.5 + 0.5 MB/s = 60 MB/min: at the threshold (warnAt 1), not above the limit.
    w.feed(next({ fsReadBps: 0.5 * MB, fsWriteBps: 0.5 * MB, netInBps: 1 * MB, netOutBps: 0.5 * MB }));
    expect(w.seen.map((d) => [d.payload.resource, d.payload.value, d.payload.unit])).toEqual([
      ["disk", 60, "MB/min"],
    ]);
    // 2.5 MB/s = 150 MB/min, above 120, for two samples (the disk figure falls back meanwhile).
    w.feed(next({ netInBps: 2 * MB, netOutBps: 0.5 * MB }), next({ netInBps: 0.5 * MB, netOutBps: 2 * MB }));
    expect(names(w.seen)).toEqual(["warning true", "warning false", "warning true", "limit warn"]);
    expect(w.seen[3]!.payload).toMatchObject({ resource: "network", value: 150, limit: 120, unit: "MB/min" });
  });

  it("checks nothing for a module without limits", () => {
    const next = series();
    const watch = new LimitWatch(() => undefined);
    for (let i = 0; i < 3; i++) expect(watch.observe([next({ cpuPercent: 1000 })])).toEqual([]);
  });
});

describe("effectiveLimits", () => {
  it("takes each field of the manifest over the same field of the config", () => {
    expect(
      effectiveLimits({ cpuPercent: 50, action: "stop" }, { memoryMb: 512, cpuPercent: 90, warnAt: 0.9 }),
    ).toEqual({ memoryMb: 512, cpuPercent: 50, warnAt: 0.9, action: "stop" });
    expect(effectiveLimits(undefined, {})).toEqual({});
  });

  it("leaves out the manifest's other sizes (checkpointKb, pids)", () => {
    const manifest = { memoryMb: 64, checkpointKb: 10, pids: 64 } as ResourceLimits;
    expect(effectiveLimits(manifest, {})).toEqual({ memoryMb: 64 });
  });
});
