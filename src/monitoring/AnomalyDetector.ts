import type { Clock } from "../common/Clock.js";
import type { AnomalyDetectorContext, AnomalyEvent } from "./AnomalyDetectorContext.js";
import { anomalyDefaults, type AnomalySettings } from "./AnomalyDetectorSettings.js";
import { type CallSeries, type CallSeriesSnapshot, LiveCallSeries, percentile } from "./CallSeries.js";
import { type MemorySeriesSnapshot, MemoryTrend } from "./MemoryTrend.js";
import type { IntervalCalls } from "../vocabulary/resources.js";

// The detector's public surface stays importable from this file; the parts live beside it.
export type { AnomalyEvent, AnomalyState } from "./AnomalyDetectorContext.js";
export { anomalyDefaults, type AnomalySettings } from "./AnomalyDetectorSettings.js";
export type { CallSeries, CallSeriesSnapshot } from "./CallSeries.js";
export type { MemorySeriesSnapshot } from "./MemoryTrend.js";

/** Everything {@link AnomalyDetector} tracks. */
export interface AnomalySnapshot {
  calls: CallSeriesSnapshot[];
  memory: MemorySeriesSnapshot[];
  /** Every method of a version together (what `chipset top` shows per module). */
  versions: VersionCallFigures[];
}

/** The calls of one module version, every method together, since the detector began to watch it. */
export interface VersionCallFigures {
  id: string;
  version: string;
  /** Attempts that failed by the module's doing (it threw, timed out or crashed). */
  failures: number;
  /** The 99th percentile of the latest successful calls' latencies (up to 1 024 per method), in ms; null before the first. */
  p99Ms: number | null;
}

const MB = 1024 * 1024;

interface VersionEntry {
  readonly methods: Map<string, LiveCallSeries>;
  memory?: MemoryTrend;
}

/**
 * Watches per-method call latency and error rate against slow-moving baselines, and heap growth,
 * and reports sustained deviations through `emit` (`module.anomaly`): once when one begins, once
 * when it ends. Keeps no timers: everything happens inside `observe` and `observeMemory`.
 */
export class AnomalyDetector {
  private readonly ctx: AnomalyDetectorContext;
  /** id -> version -> its series. */
  private readonly modules = new Map<string, Map<string, VersionEntry>>();

  /**
   * @param deps.emit called synchronously from `observe`, so from the call path: it must not throw
   * @throws ChipsetError `CHIP_ERR_OPTIONS_INVALID` when a setting is out of range
   */
  constructor(deps: {
    clock: Clock;
    emit: (event: AnomalyEvent) => void;
    settings?: Partial<AnomalySettings>;
  }) {
    // createRuntime has checked the thresholds (validateOptions), before anything was opened.
    const settings = { ...anomalyDefaults, ...deps.settings };
    this.ctx = { clock: deps.clock, emit: deps.emit, settings };
  }

  /** The settings in force (defaults applied). */
  get settings(): Readonly<AnomalySettings> {
    return this.ctx.settings;
  }

  /** The series of `id@version`'s `method`, made once and reused (until {@link forget}). */
  series(id: string, version: string, method: string): CallSeries {
    const entry = this.entry(id, version);
    let series = entry.methods.get(method);
    if (!series) entry.methods.set(method, (series = new LiveCallSeries(this.ctx, id, version, method)));
    return series;
  }

  /** Feeds one memory reading (bytes of heap used) of `id@version`, at clock.now(). */
  observeMemory(id: string, version: string, heapUsedBytes: number): void {
    if (!(heapUsedBytes >= 0 && heapUsedBytes < Infinity)) return;
    const entry = this.entry(id, version);
    entry.memory ??= new MemoryTrend(this.ctx, id, version);
    entry.memory.add(heapUsedBytes / MB);
  }

  /**
   * Forgets everything about `id` (unloaded, removed), or only about its `version`; an active
   * anomaly of it ends silently. Series handed out before are inert from now on.
   */
  forget(id: string, version?: string): void {
    const versions = this.modules.get(id);
    if (!versions) return;
    for (const [v, entry] of versions) {
      if (version !== undefined && v !== version) continue;
      for (const series of entry.methods.values()) series.retired = true;
      versions.delete(v);
    }
    if (versions.size === 0) this.modules.delete(id);
  }

  /** The baselines and state of every series, for queries. */
  snapshot(): AnomalySnapshot {
    const calls: CallSeriesSnapshot[] = [];
    const memory: MemorySeriesSnapshot[] = [];
    const figures: VersionCallFigures[] = [];
    for (const [id, versions] of this.modules) {
      for (const [version, entry] of versions) {
        let failures = 0;
        for (const series of entry.methods.values()) {
          calls.push(series.snapshot());
          failures += series.failures;
        }
        if (entry.memory) memory.push(entry.memory.snapshot());
        if (entry.methods.size === 0) continue;
        const windows = [...entry.methods.values()].map((s) => s.recentLatencies());
        figures.push({ id, version, failures, p99Ms: percentile(windows, 99) });
      }
    }
    return { calls, memory, versions: figures };
  }

  /**
   * What each version's calls did since the previous call of this (since the detector began to
   * watch it, the first time), by `id@version`: failures, and the p99 of the successful calls'
   * latencies (the latest 1 024 per method when there were more). One reader only: the resource
   * sampler, once per round.
   */
  takeIntervals(): Map<string, IntervalCalls> {
    const out = new Map<string, IntervalCalls>();
    for (const [id, versions] of this.modules) {
      for (const [version, entry] of versions) {
        let failures = 0;
        const windows: Float32Array[] = [];
        for (const series of entry.methods.values()) {
          const taken = series.takeInterval();
          failures += taken.failures;
          windows.push(taken.latencies);
        }
        out.set(`${id}@${version}`, { failures, p99Ms: percentile(windows, 99) });
      }
    }
    return out;
  }

  private entry(id: string, version: string): VersionEntry {
    let versions = this.modules.get(id);
    if (!versions) this.modules.set(id, (versions = new Map<string, VersionEntry>()));
    let entry = versions.get(version);
    if (!entry) versions.set(version, (entry = { methods: new Map() }));
    return entry;
  }
}
