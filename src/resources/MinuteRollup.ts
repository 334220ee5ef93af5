import type { ResourceSample } from "../vocabulary/resources.js";
import type { ResourcePoint } from "./ResourcePoint.js";

// One-minute roll-ups of the resource history: sums, counts and maxima per module version and
// minute, so that a minute written in several batches adds up and an average over any period is exact.

/** The length of a roll-up, in ms. */
export const MINUTE_MS = 60_000;

/** The start of the minute `at` falls in, in ms since the epoch. */
export const minuteOf = (at: number): number => Math.floor(at / MINUTE_MS) * MINUTE_MS;

/** A row of `resource_minutes`. */
export interface MinuteRow {
  id: string;
  version: string;
  minute: number;
  samples: number;
  cpu_n: number;
  cpu_sum: number;
  cpu_max: number | null;
  memory_n: number;
  memory_sum: number;
  memory_max: number | null;
  disk_sum: number;
  disk_max: number;
  net_sum: number;
  net_max: number;
  calls_sum: number | null;
  failures_sum: number | null;
  p99_n: number | null;
  p99_sum: number | null;
  p99_max: number | null;
}

/** `a + b` where either may be unknown (null): the known one, or null when neither is. */
const sumOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : a + b;

const maxOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);

/** The columns of `resource_minutes`, in the order of {@link minuteValues}. */
export const MINUTE_COLUMNS =
  "id, version, minute, samples, cpu_n, cpu_sum, cpu_max, memory_n, memory_sum, memory_max, disk_sum, disk_max, net_sum, net_max, " +
  "calls_sum, failures_sum, p99_n, p99_sum, p99_max";

// SQLite's max(a, NULL) is NULL: each side falls back on the other.
const keepMax = (c: string) => `${c} = max(coalesce(${c}, excluded.${c}), coalesce(excluded.${c}, ${c}))`;
const add = (c: string) => `${c} = ${c} + excluded.${c}`;
// A sum with a side unknown (a row of a version that kept no calls) is the other side.
const addKnown = (c: string) => `${c} = coalesce(${c} + excluded.${c}, ${c}, excluded.${c})`;
/** Adds a roll-up ({@link minuteValues}) to the row of its module version and minute, or makes that row. */
export const UPSERT_MINUTE =
  `INSERT INTO resource_minutes (${MINUTE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ` +
  `ON CONFLICT (id, version, minute) DO UPDATE SET ` +
  [
    add("samples"),
    add("cpu_n"),
    add("cpu_sum"),
    keepMax("cpu_max"),
    add("memory_n"),
    add("memory_sum"),
    keepMax("memory_max"),
    add("disk_sum"),
    `disk_max = max(disk_max, excluded.disk_max)`,
    add("net_sum"),
    `net_max = max(net_max, excluded.net_max)`,
    addKnown("calls_sum"),
    addKnown("failures_sum"),
    addKnown("p99_n"),
    addKnown("p99_sum"),
    keepMax("p99_max"),
  ].join(", ");

/** The roll-ups of `samples` (any number of rounds), one per module version and minute, to add with {@link UPSERT_MINUTE}. */
export function rollUp(samples: readonly ResourceSample[]): MinuteRow[] {
  const minutes = new Map<string, MinuteRow>();
  for (const s of samples) {
    const minute = minuteOf(s.at);
    const key = `${s.id}@${s.version}@${minute}`;
    let m = minutes.get(key);
    if (m === undefined) {
      m = {
        id: s.id,
        version: s.version,
        minute,
        samples: 0,
        cpu_n: 0,
        cpu_sum: 0,
        cpu_max: null,
        memory_n: 0,
        memory_sum: 0,
        memory_max: null,
        disk_sum: 0,
        disk_max: 0,
        net_sum: 0,
        net_max: 0,
        calls_sum: null,
        failures_sum: null,
        p99_n: null,
        p99_sum: null,
        p99_max: null,
      };
      minutes.set(key, m);
    }
    const disk = s.fsReadBps + s.fsWriteBps;
    const net = s.netInBps + s.netOutBps;
    m.samples++;
    if (s.cpuPercent !== null) {
      m.cpu_n++;
      m.cpu_sum += s.cpuPercent;
      m.cpu_max = maxOf(m.cpu_max, s.cpuPercent);
    }
    if (s.memoryBytes !== null) {
      m.memory_n++;
      m.memory_sum += s.memoryBytes;
      m.memory_max = maxOf(m.memory_max, s.memoryBytes);
    }
    m.disk_sum += disk;
    m.disk_max = Math.max(m.disk_max, disk);
    m.net_sum += net;
    m.net_max = Math.max(m.net_max, net);
    m.calls_sum = sumOf(m.calls_sum, s.calls);
    m.failures_sum = sumOf(m.failures_sum, s.failures);
    if (s.p99Ms !== null) {
      m.p99_n = (m.p99_n ?? 0) + 1;
      m.p99_sum = (m.p99_sum ?? 0) + s.p99Ms;
      m.p99_max = maxOf(m.p99_max, s.p99Ms);
    }
  }
  return [...minutes.values()];
}

/** The values of `m` for {@link UPSERT_MINUTE}, in the order of {@link MINUTE_COLUMNS}. */
export function minuteValues(m: MinuteRow): Array<string | number | null> {
  return [
    m.id,
    m.version,
    m.minute,
    m.samples,
    m.cpu_n,
    m.cpu_sum,
    m.cpu_max,
    m.memory_n,
    m.memory_sum,
    m.memory_max,
    m.disk_sum,
    m.disk_max,
    m.net_sum,
    m.net_max,
    m.calls_sum,
    m.failures_sum,
    m.p99_n,
    m.p99_sum,
    m.p99_max,
  ];
}

/** A roll-up as a point of the history. */
export function minutePoint(m: MinuteRow): ResourcePoint {
  return {
    id: m.id,
    version: m.version,
    at: m.minute,
    resolution: "minute",
    samples: m.samples,
    cpuPercent: m.cpu_n > 0 ? m.cpu_sum / m.cpu_n : null,
    cpuPercentMax: m.cpu_max,
    memoryBytes: m.memory_n > 0 ? m.memory_sum / m.memory_n : null,
    memoryBytesMax: m.memory_max,
    diskBps: m.samples > 0 ? m.disk_sum / m.samples : 0,
    diskBpsMax: m.disk_max,
    networkBps: m.samples > 0 ? m.net_sum / m.samples : 0,
    networkBpsMax: m.net_max,
    calls: m.calls_sum,
    failures: m.failures_sum,
    p99Ms: m.p99_n !== null && m.p99_n > 0 && m.p99_sum !== null ? m.p99_sum / m.p99_n : null,
    p99MsMax: m.p99_max,
  };
}
