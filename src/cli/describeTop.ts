import type { TopSort } from "./choices.js";
import type { SystemFigures } from "../resources/SystemMeter.js";
import type { ModuleView } from "../server/ModuleViews.js";
import { ms, table, uptime } from "./format.js";
import { bytes, fraction, percent, rate } from "./formatUnits.js";

/** One reading of the host's API: its module views and the machine, at `at` (ms, a monotonic clock). */
export interface TopReading {
  at: number;
  modules: readonly ModuleView[];
  system: SystemFigures;
}

/** One live module instance in `chipset top`: its latest resource sample and its calls. */
export interface TopRow {
  id: string;
  version: string;
  state: string;
  isolation: "inline" | "worker" | "process";
  pid: number;
  /** Its worker thread's id; null but for worker modules. */
  threadId: number | null;
  /** % of one CPU over the host's latest sample (inline: its synchronous call time, an estimate). */
  cpuPercent: number | null;
  /** A process's RSS, a worker's heap; null for inline modules. */
  memoryBytes: number | null;
  heapUsedBytes: number | null;
  /** Event-loop utilisation of its thread, 0 to 1. */
  elu: number | null;
  fsReadBps: number | null;
  fsWriteBps: number | null;
  netInBps: number | null;
  netOutBps: number | null;
  /** Calls since the instance was made. */
  calls: number;
  /** Calls per second between the two readings; null for the first reading. */
  callsPerSecond: number | null;
  /** 99th percentile of its latest successful calls, in ms. */
  p99Ms: number | null;
  /** Calls that failed by the module's doing since the host started. */
  failedCalls: number | null;
}

/** What `chipset top` shows once: the machine and every live instance, sorted. */
export interface TopSnapshot {
  system: SystemFigures;
  modules: TopRow[];
}

export { topSorts, type TopSort } from "./choices.js";

/**
 * The snapshot of `current`, with calls per second from the difference of each instance's call
 * count since `previous` (none without one; an instance made again since counts from zero).
 */
export function topSnapshot(
  current: TopReading,
  previous: TopReading | undefined,
  sort: TopSort,
): TopSnapshot {
  const seconds = previous === undefined ? 0 : (current.at - previous.at) / 1000;
  const before = new Map<string, number>();
  for (const m of previous?.modules ?? [])
    if (m.instance !== null) before.set(`${m.id}@${m.version}`, m.instance.calls);
  const rows: TopRow[] = [];
  for (const m of current.modules) {
    const inst = m.instance;
    if (inst === null) continue;
    const r = inst.resources;
    const then = before.get(`${m.id}@${m.version}`);
    const delta = then === undefined ? undefined : inst.calls >= then ? inst.calls - then : inst.calls;
    rows.push({
      id: m.id,
      version: m.version,
      state: inst.state,
      isolation: inst.host.isolation,
      pid: inst.host.pid,
      threadId: inst.host.isolation === "worker" ? inst.host.threadId : null,
      cpuPercent: r?.cpuPercent ?? null,
      memoryBytes: r?.memoryBytes ?? null,
      heapUsedBytes: r?.heapUsedBytes ?? null,
      elu: r?.elu ?? null,
      fsReadBps: r?.fsReadBps ?? null,
      fsWriteBps: r?.fsWriteBps ?? null,
      netInBps: r?.netInBps ?? null,
      netOutBps: r?.netOutBps ?? null,
      calls: inst.calls,
      callsPerSecond: delta === undefined || seconds <= 0 ? null : delta / seconds,
      p99Ms: inst.p99Ms,
      failedCalls: inst.failedCalls,
    });
  }
  return { system: current.system, modules: sortRows(rows, sort) };
}

const sum = (a: number | null, b: number | null): number | null =>
  a === null && b === null ? null : (a ?? 0) + (b ?? 0);

const keyOf: Record<Exclude<TopSort, "id">, (row: TopRow) => number | null> = {
  cpu: (r) => r.cpuPercent,
  mem: (r) => r.memoryBytes,
  disk: (r) => sum(r.fsReadBps, r.fsWriteBps),
  net: (r) => sum(r.netInBps, r.netOutBps),
  calls: (r) => r.callsPerSecond ?? r.calls,
};

/** `rows` by `sort`: largest first (unmeasured last), ties and `id` by id then version. */
export function sortRows(rows: TopRow[], sort: TopSort): TopRow[] {
  const byId = (a: TopRow, b: TopRow) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
  if (sort === "id") return rows.sort(byId);
  const key = keyOf[sort];
  return rows.sort((a, b) => (key(b) ?? -1) - (key(a) ?? -1) || byId(a, b));
}

/**
 * The screen of `chipset top`: three lines about the machine, a blank line, and the table of
 * instances. `-` where a figure is not measured (an inline module's memory) or not yet (the
 * first reading's calls per second, the first sample).
 */
export function topLines(snapshot: TopSnapshot, sort: TopSort, intervalMs: number): string[] {
  const lines = [...systemLines(snapshot.system, sort, intervalMs), ""];
  if (snapshot.modules.length === 0) return [...lines, "no module is loaded on the host"];
  return [
    ...lines,
    ...table(
      [
        "ID",
        "VERSION",
        "HOST",
        "CPU",
        "MEM",
        "HEAP",
        "ELU",
        "READ/S",
        "WRITE/S",
        "NET IN/S",
        "NET OUT/S",
        "CALLS/S",
        "P99",
        "ERRORS",
      ],
      snapshot.modules.map((r) => [
        r.id,
        r.version,
        r.isolation,
        percent(r.cpuPercent),
        bytes(r.memoryBytes),
        bytes(r.heapUsedBytes),
        fraction(r.elu),
        bytes(r.fsReadBps),
        bytes(r.fsWriteBps),
        bytes(r.netInBps),
        bytes(r.netOutBps),
        r.callsPerSecond === null ? "-" : perSecond(r.callsPerSecond),
        r.p99Ms === null ? "-" : ms(r.p99Ms),
        r.failedCalls === null ? "-" : String(r.failedCalls),
      ]),
    ),
  ];
}

/** The header: the host process, then the machine's load, CPU and memory, then its disk and network. */
function systemLines(s: SystemFigures, sort: TopSort, intervalMs: number): string[] {
  const load = s.loadAverage.map((n) => n.toFixed(2)).join(" ");
  const { memory: m, disk, network: net } = s;
  return [
    `chipset top  host pid ${s.process.pid}, up ${uptime(s.process.uptimeSeconds * 1000)}, ` +
      `${bytes(s.process.rssBytes)} resident  (every ${ms(intervalMs)}, by ${sort}; Ctrl-C quits)`,
    `load ${load}  cpu ${percent(s.cpuPercent)} of ${s.cpus} CPUs  ` +
      `mem ${bytes(m.usedBytes)} used, ${bytes(m.availableBytes)} available of ${bytes(m.totalBytes)}`,
    `disk ${disk === null ? "-" : `${bytes(disk.usedBytes)} used, ${bytes(disk.freeBytes)} free of ${bytes(disk.totalBytes)} (${disk.path})`}  ` +
      `net ${net === null ? "-" : `in ${rate(net.receivedBps)}, out ${rate(net.sentBps)}, ${net.connections} connections`}`,
  ];
}

/** Calls per second: `0`, `2.5`, `1200`. */
function perSecond(value: number): string {
  return value >= 100 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1);
}
