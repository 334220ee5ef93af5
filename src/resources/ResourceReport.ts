import type { ResourceSample } from "../vocabulary/resources.js";
import { MINUTE_MS } from "./MinuteRollup.js";
import type { ResourcePoint } from "./ResourcePoint.js";
import type { SystemFigures } from "./SystemMeter.js";
import { SeriesStats, TREND_THRESHOLD, type ResourceStats } from "./resourceStats.js";

/**
 * The id the machine's own figures are kept under in the history, beside the modules' (a name no
 * module can have: ids are npm package names).
 */
export const MACHINE_ID = "(machine)";

/**
 * The machine over the period of a report: CPU in % of all its CPUs (100 = every CPU busy), memory
 * used in bytes, network bytes per second through every interface but loopback.
 */
export interface MachineResourceReport {
  samples: number;
  cpuPercent: ResourceStats | null;
  memoryBytes: ResourceStats | null;
  networkBps: ResourceStats | null;
}

/**
 * The machine's figures as a sample kept beside the modules' under {@link MACHINE_ID}: CPU in % of
 * all CPUs, memory used, network rates (no disk rate: the machine's disk is reported by usage).
 */
export function machineSample(figures: SystemFigures, intervalMs: number): ResourceSample {
  const net = figures.network;
  return {
    id: MACHINE_ID,
    version: "-",
    isolation: "process",
    at: figures.at,
    intervalMs,
    cpuPercent: figures.cpuPercent,
    elu: null,
    memoryBytes: figures.memory.usedBytes,
    heapUsedBytes: null,
    rssBytes: null,
    fsReadBps: 0,
    fsWriteBps: 0,
    netInBps: net?.receivedBps ?? 0,
    netOutBps: net?.sentBps ?? 0,
    calls: null,
    failures: null,
    p99Ms: null,
    totals: { cpuSeconds: 0, fsReadBytes: 0, fsWriteBytes: 0, netInBytes: 0, netOutBytes: 0 },
  };
}

/** How many modules each resource's top list names. */
export const TOP_CONSUMERS = 5;

/** The resources a report covers, by the name of their figure. */
export const REPORTED = ["cpuPercent", "memoryBytes", "diskBps", "networkBps"] as const;

/** One of {@link REPORTED}: CPU in % of one CPU, memory in bytes, disk and network in bytes per second. */
export type ReportedResource = (typeof REPORTED)[number];

/** One module version over the period of a report. */
export interface ModuleResourceReport {
  id: string;
  version: string;
  /** How many samples the period holds of it. */
  samples: number;
  /** CPU in % of one CPU; null where it is not attributable (see docs/resources.md). */
  cpuPercent: ResourceStats | null;
  /** Memory in bytes (a process's RSS, a worker's heap); null for inline modules. */
  memoryBytes: ResourceStats | null;
  /** Bytes read and written through `node:fs`, per second; null without samples. */
  diskBps: ResourceStats | null;
  /** Bytes received and sent over the network, per second; null without samples. */
  networkBps: ResourceStats | null;
  /** Restarts after a crash in the period. */
  restarts: number;
  /** Errors recorded in the period with this module's id and version. */
  errors: number;
}

/** A module among the top consumers of one resource, by its average. */
export interface TopConsumer {
  /** `id@version`. */
  module: string;
  avg: number;
  peak: number;
}

/** What the runtime used over a period, per module (`runtime.resources.report`, `report.ready`, `chipset report`). */
export interface ResourceReport {
  /** The period, in ms since the epoch (`since` included, `until` not, so periods that follow each other share no sample). */
  since: number;
  until: number;
  /** The module (`id` or `id@version`) the report is limited to, if any. */
  module: string | null;
  /** Every module version with samples, restarts or errors in the period, by id then version. */
  modules: ModuleResourceReport[];
  /** The machine beside them (recorded with each round of module samples); null without samples. */
  machine: MachineResourceReport | null;
  /** The {@link TOP_CONSUMERS} highest averages of each resource (modules that used none are left out). */
  top: Record<ReportedResource, TopConsumer[]>;
  /** Restarts after a crash in the period, of every module reported. */
  restarts: number;
  /** Errors recorded in the period (with no module filter: the runtime's own too). */
  errors: number;
  /** The relative change over the period above which a trend is rising or falling. */
  trendThreshold: number;
}

/**
 * Restarts or errors of one module version in a period; `version` null: errors recorded without
 * one, `id` null: errors of the runtime itself (both count in the totals only).
 */
export interface IncidentCount {
  id: string | null;
  version: string | null;
  count: number;
}

/** What happened to modules in a period, besides their samples. */
export interface PeriodIncidents {
  restarts: readonly IncidentCount[];
  errors: readonly IncidentCount[];
}

/** The samples of one module version (or of the machine) over the period, as they are added up. */
class Accumulated {
  samples = 0;
  readonly series: Record<ReportedResource, SeriesStats> = {
    cpuPercent: new SeriesStats(),
    memoryBytes: new SeriesStats(),
    diskBps: new SeriesStats(),
    networkBps: new SeriesStats(),
  };
  restarts = 0;
  errors = 0;
}

interface Accumulator extends Accumulated {
  id: string;
  version: string;
}

/**
 * The report of `points` (a period's history, see `SampleStore.history`) and `incidents` over
 * [`since`, `until`]: per module version the average, peak, p95 and trend of each resource,
 * the top consumers of each, and the restarts and errors of the period. A pure function.
 */
export function buildReport(
  points: readonly ResourcePoint[],
  incidents: PeriodIncidents,
  period: { since: number; until: number; module?: string },
): ResourceReport {
  const modules = new Map<string, Accumulator>();
  const entry = (id: string, version: string): Accumulator => {
    const key = `${id}@${version}`;
    let acc = modules.get(key);
    if (acc === undefined) {
      acc = Object.assign(new Accumulated(), { id, version });
      modules.set(key, acc);
    }
    return acc;
  };
  const machine = new Accumulated();
  for (const p of points) {
    const acc = p.id === MACHINE_ID ? machine : entry(p.id, p.version);
    // A roll-up stands for its minute: its trend point is the minute's middle.
    const at = p.resolution === "minute" ? p.at + MINUTE_MS / 2 : p.at;
    acc.samples += p.samples;
    acc.series.cpuPercent.add(at, p.cpuPercent, p.samples, p.cpuPercentMax);
    acc.series.memoryBytes.add(at, p.memoryBytes, p.samples, p.memoryBytesMax);
    acc.series.diskBps.add(at, p.diskBps, p.samples, p.diskBpsMax);
    acc.series.networkBps.add(at, p.networkBps, p.samples, p.networkBpsMax);
  }
  let restarts = 0;
  for (const r of incidents.restarts) {
    if (r.id !== null && r.version !== null) entry(r.id, r.version).restarts += r.count;
    restarts += r.count;
  }
  let errors = 0;
  for (const e of incidents.errors) {
    if (e.id !== null && e.version !== null) entry(e.id, e.version).errors += e.count;
    errors += e.count;
  }
  const reports = [...modules.values()]
    .sort((a, b) => (a.id !== b.id ? (a.id < b.id ? -1 : 1) : a.version < b.version ? -1 : 1))
    .map((acc): ModuleResourceReport => ({
      id: acc.id,
      version: acc.version,
      samples: acc.samples,
      cpuPercent: acc.series.cpuPercent.result(),
      memoryBytes: acc.series.memoryBytes.result(),
      diskBps: acc.series.diskBps.result(),
      networkBps: acc.series.networkBps.result(),
      restarts: acc.restarts,
      errors: acc.errors,
    }));
  const top = {} as Record<ReportedResource, TopConsumer[]>;
  for (const resource of REPORTED) {
    top[resource] = reports
      .flatMap((m) => {
        const stats = m[resource];
        return stats === null || stats.avg <= 0
          ? []
          : [{ module: `${m.id}@${m.version}`, avg: stats.avg, peak: stats.peak }];
      })
      .sort((a, b) => b.avg - a.avg)
      .slice(0, TOP_CONSUMERS);
  }
  return {
    since: period.since,
    until: period.until,
    module: period.module ?? null,
    modules: reports,
    machine:
      machine.samples === 0
        ? null
        : {
            samples: machine.samples,
            cpuPercent: machine.series.cpuPercent.result(),
            memoryBytes: machine.series.memoryBytes.result(),
            networkBps: machine.series.networkBps.result(),
          },
    top,
    restarts,
    errors,
    trendThreshold: TREND_THRESHOLD,
  };
}
