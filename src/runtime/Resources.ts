import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { unmetered } from "../hosts/unmetered.js";
import type { Clock } from "../common/Clock.js";
import type { Emitter } from "../common/Emitter.js";
import { LimitActions } from "./LimitActions.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import type { Disposable } from "../common/Disposable.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import type { Instance } from "../instances/Instance.js";
import { ResourceSampler, type RoundCalls, type SampledInstance } from "../resources/ResourceSampler.js";
import { SystemMeter, type SystemFigures } from "../resources/SystemMeter.js";
import type { ResourceSample, UsageCounters } from "../vocabulary/resources.js";
import type { IncidentCount, ResourceReport } from "../resources/ResourceReport.js";
import type { ResourcePoint } from "../resources/ResourcePoint.js";
import type { Database } from "../store/Database.js";
import { ResourceReports, type HistoryPeriod, type ReportOptions } from "./ResourceReports.js";
import type { ResourceSettings } from "./RuntimeOptions.js";

/** What one loaded instance has used since it was loaded (`runtime.resources.usage()`). */
export interface InstanceUsage {
  id: string;
  version: string;
  /** Which replica of `id@version` (0: the first, or the only one). */
  replica: number;
  isolation: "inline" | "worker" | "process";
  usage: UsageCounters;
}

/** The resource side of the runtime (`runtime.resources`); see docs/resources.md. */
export interface ResourceQueries {
  /**
   * What each loaded instance has used since it was loaded, read now (no sampling needed): of
   * every module, or of `ref` (`id`: its live versions; `id@version`: that one).
   */
  usage(ref?: string): InstanceUsage[];
  /** The latest sample of each loaded instance (of `ref`, as in {@link usage}); empty until two readings a sampling interval apart. */
  latest(ref?: string): ResourceSample[];
  /** Reads every loaded instance now and returns the samples of this round (what the timer does every `sampleMs`). */
  sampleNow(): ResourceSample[];
  /**
   * The machine beside the modules: load, CPU, memory, the data directory's disk, network and
   * the host process. Read on demand; a reading younger than half a sampling interval (or
   * 500 ms when sampling is off) is answered again, so several readers see the same rates.
   */
  system(): SystemFigures;
  /**
   * The stored history of `ref` (`id`: every version; `id@version`) from `since` to `until` (ms
   * since the epoch, `until` not included; none: up to now), oldest first: raw samples where they are kept
   * (`rawRetentionMs`), else one-minute roll-ups (`rollupRetentionMs`).
   */
  history(ref: string, period: HistoryPeriod): ResourcePoint[];
  /**
   * Per module version over the period (`until` not included; default now): average, peak, p95 and trend of CPU, memory, disk and
   * network, the top consumers of each, and the restarts and errors of the period.
   */
  report(options: ReportOptions): ResourceReport;
}

/** Whether `inst` is what `ref` names: `id` (any version) or `id@version`. */
function names(ref: string | undefined, id: string, version: string): boolean {
  if (ref === undefined) return true;
  const at = ref.lastIndexOf("@");
  return at > 0 ? ref.slice(0, at) === id && ref.slice(at + 1) === version : ref === id;
}

function sampled(inst: Instance): SampledInstance {
  const { id, version, replica, isolation } = inst;
  return { id, version, replica, isolation, usage: () => inst.host.usage(), calls: () => inst.calls };
}

/**
 * Wires resource sampling into the runtime: a sampler over the instance table every
 * `sampleMs` from start to close (none when `sampleMs` is 0), the history and reports kept from
 * its samples, the limits checked on them, and the queries over it all.
 */
export class Resources implements ResourceQueries, Disposable {
  readonly sampler: ResourceSampler;
  private readonly systemMeter: SystemMeter;
  private systemLatest: SystemFigures | undefined;
  /** The stored history and its reports. */
  readonly reports: ResourceReports;

  constructor(
    private readonly deps: {
      clock: Clock;
      instances: InstanceReader;
      settings: ResourceSettings;
      /** The data directory, whose file system `system()` reports. */
      dataDir: string;
      onListenerError: (err: unknown) => void;
      /** Where the history is kept. */
      db: Database;
      /** What each version's calls did since the previous sampling round; undefined without anomaly detection. */
      calls: () => RoundCalls;
      /** Restarts after a crash and errors recorded between two instants, for the reports. */
      restarts: (since: number, until: number) => readonly IncidentCount[];
      errors: (since: number, until: number) => readonly IncidentCount[];
      /** Where `report.ready`, `resource.warning` and `resource.limit` go. */
      events: Emitter<RuntimeEvents>;
      logger: Logger;
      /** True once the runtime is closing: no limit's action is taken any more. */
      closing: () => boolean;
      onError: (context: string, error: unknown) => void;
    },
  ) {
    this.sampler = new ResourceSampler({
      clock: deps.clock,
      everyMs: deps.settings.sampleMs,
      instances: () => Array.from(deps.instances.all(), sampled),
      onListenerError: deps.onListenerError,
      calls: deps.calls,
    });
    // The runtime's own reads of /proc: never charged to an inline module that asked for them.
    this.systemMeter = new SystemMeter(deps.dataDir, (file) => unmetered(() => readFileSync(file, "latin1")));
    const { events } = deps;
    this.reports = new ResourceReports({
      ...deps,
      sampler: this.sampler,
      system: () => this.system(),
      onError: deps.onListenerError,
      ready: {
        wanted: () => events.has("report.ready"),
        emit: (report) => events.emit("report.ready", report),
      },
    });
    const limits = new LimitActions({ ...deps, defaults: deps.settings.limits });
    this.sampler.onSamples((samples) => limits.observe(samples));
    this.sampler.onSamples((samples) => {
      if (events.has("resources.sampled")) events.emit("resources.sampled", { at: samples[0]!.at, samples });
    });
    events.on("module.removed", (e) => {
      if (e.version !== undefined) limits.forget(e.id, e.version);
    });
  }

  /** Starts sampling, keeping its history and the periodic report, unless `sampleMs` is 0. */
  start(): void {
    if (this.deps.settings.sampleMs === 0) return;
    this.sampler.start();
    this.reports.start();
  }

  usage(ref?: string): InstanceUsage[] {
    const out: InstanceUsage[] = [];
    for (const inst of this.named(ref)) {
      const usage = inst.host.usage();
      if (usage !== undefined)
        out.push({
          id: inst.id,
          version: inst.version,
          replica: inst.replica,
          isolation: inst.isolation,
          usage,
        });
    }
    return out;
  }

  latest(ref?: string): ResourceSample[] {
    return [...this.sampler.latest().values()].filter((s) => names(ref, s.id, s.version));
  }

  sampleNow(): ResourceSample[] {
    return this.sampler.sampleNow();
  }

  system(): SystemFigures {
    const now = this.deps.clock.wallNow();
    const fresh = (this.deps.settings.sampleMs || 1000) / 2;
    const latest = this.systemLatest;
    if (latest !== undefined && now - latest.at < fresh && now >= latest.at) return latest;
    return (this.systemLatest = this.systemMeter.read(now));
  }

  /** The live instances `ref` names (every one when undefined). */
  private named(ref: string | undefined): Iterable<Instance> {
    const { instances } = this.deps;
    if (ref === undefined) return instances.all();
    const inst = ref.lastIndexOf("@") > 0 ? instances.get(ref) : undefined;
    return ref.lastIndexOf("@") > 0 ? (inst === undefined ? [] : [inst]) : instances.versionsOf(ref);
  }

  history(ref: string, period: HistoryPeriod): ResourcePoint[] {
    return this.reports.historyOf(ref, period);
  }

  report(options: ReportOptions): ResourceReport {
    return this.reports.report(options);
  }

  /** Stops sampling (the runtime is closing). */
  stop(): void {
    this.sampler.dispose();
  }

  /** Stops sampling and saves what is not yet written (before the database closes). */
  dispose(): void {
    this.stop();
    this.reports.dispose();
  }
}
