import type { Statement } from "better-sqlite3";
import type { Database } from "../store/Database.js";
import type { ResourceSample } from "../vocabulary/resources.js";

/** The length of a roll-up, in ms. */
export const MINUTE_MS = 60_000;

/** The start of the minute `at` falls in, in ms since the epoch. */
export const minuteOf = (at: number): number => Math.floor(at / MINUTE_MS) * MINUTE_MS;

/**
 * One point of a module's resource history: a raw sample (`resolution: "raw"`, `samples` 1,
 * `at` the end of its interval) or a one-minute roll-up (`"minute"`, `at` the minute's start,
 * averages over its `samples` and their maxima). Rates are in bytes per second.
 */
export interface ResourcePoint {
  id: string;
  version: string;
  /** Milliseconds since the epoch. */
  at: number;
  resolution: "raw" | "minute";
  /** How many samples the point stands for. */
  samples: number;
  /** CPU in % of one CPU (average over the point); null where the module's CPU is not attributable. */
  cpuPercent: number | null;
  cpuPercentMax: number | null;
  /** Memory in bytes (a process's RSS, a worker's heap); null for inline modules. */
  memoryBytes: number | null;
  memoryBytesMax: number | null;
  /** Bytes read and written through `node:fs`, per second. */
  diskBps: number;
  diskBpsMax: number;
  /** Bytes received and sent over the network, per second. */
  networkBps: number;
  networkBpsMax: number;
  /**
   * Calls served over the point (raw: its interval; minute: the minute's samples together), a
   * count; null in history written before calls were kept, and for the machine.
   */
  calls: number | null;
  /** Calls that failed by the module's doing over the point, a count; null without anomaly detection (and as `calls`). */
  failures: number | null;
  /** The p99 of the successful calls' latencies, in ms (minute: the average of its samples' p99s); null without calls. */
  p99Ms: number | null;
  /** The highest of the samples' p99s, in ms (raw: the same as `p99Ms`). */
  p99MsMax: number | null;
}

/** Which module's rows: every one, an id (any version), or one `id@version`. */
export interface ModuleFilter {
  id?: string;
  version?: string;
}

/** How much a prune deleted, in rows. */
export interface PruneResult {
  raw: number;
  minutes: number;
}

/** What a prune keeps: raw rows and roll-ups for this long (ms), and at most `maxRows` rows in all. */
export interface Retention {
  rawRetentionMs: number;
  rollupRetentionMs: number;
  maxRows: number;
}

interface RawRow {
  id: string;
  version: string;
  at: number;
  cpu: number | null;
  memory: number | null;
  fs_read: number;
  fs_write: number;
  net_in: number;
  net_out: number;
  calls: number | null;
  failures: number | null;
  p99_ms: number | null;
}

interface MinuteRow {
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

const RAW_COLUMNS =
  "id, version, at, cpu, memory, fs_read, fs_write, net_in, net_out, calls, failures, p99_ms";
const MINUTE_COLUMNS =
  "id, version, minute, samples, cpu_n, cpu_sum, cpu_max, memory_n, memory_sum, memory_max, disk_sum, disk_max, net_sum, net_max, " +
  "calls_sum, failures_sum, p99_n, p99_sum, p99_max";

/**
 * The resource history in the data directory's database: every sample as it came (raw) and
 * one-minute roll-ups of them (sums, counts and maxima, so a minute written in several batches
 * adds up and an average over any period is exact), readable by another process (`chipset
 * report` without a host). Writes are batched by the caller: {@link append} is one transaction.
 */
export class SampleStore {
  private readonly insertRaw: Statement;
  private readonly upsertMinute: Statement;
  private readonly deleteRawBefore: Statement;
  private readonly deleteMinutesBefore: Statement;
  private readonly countRaw: Statement;
  private readonly countMinutes: Statement;
  private readonly oldestRaw: Statement;
  private readonly trimMinutesBefore: Statement;
  private readonly trimRaw: Statement;
  private readonly trimMinutes: Statement;
  private readonly queries = new Map<string, Statement>();

  constructor(private readonly db: Database) {
    const sql = db.sql;
    this.insertRaw = sql.prepare(
      `INSERT INTO resource_samples (${RAW_COLUMNS}, interval_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // SQLite's max(a, NULL) is NULL: each side falls back on the other.
    const keepMax = (c: string) => `${c} = max(coalesce(${c}, excluded.${c}), coalesce(excluded.${c}, ${c}))`;
    const add = (c: string) => `${c} = ${c} + excluded.${c}`;
    // A sum with a side unknown (a row of a version that kept no calls) is the other side.
    const addKnown = (c: string) => `${c} = coalesce(${c} + excluded.${c}, ${c}, excluded.${c})`;
    this.upsertMinute = sql.prepare(
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
        ].join(", "),
    );
    this.deleteRawBefore = sql.prepare("DELETE FROM resource_samples WHERE at < ?");
    this.deleteMinutesBefore = sql.prepare("DELETE FROM resource_minutes WHERE minute < ?");
    this.countRaw = sql.prepare("SELECT count(*) AS n FROM resource_samples");
    this.countMinutes = sql.prepare("SELECT count(*) AS n FROM resource_minutes");
    this.oldestRaw = sql.prepare("SELECT min(at) AS at FROM resource_samples");
    this.trimMinutesBefore = sql.prepare(
      "DELETE FROM resource_minutes WHERE rowid IN " +
        "(SELECT rowid FROM resource_minutes WHERE minute < ? ORDER BY minute LIMIT ?)",
    );
    this.trimRaw = sql.prepare(
      "DELETE FROM resource_samples WHERE rowid IN (SELECT rowid FROM resource_samples ORDER BY at LIMIT ?)",
    );
    this.trimMinutes = sql.prepare(
      "DELETE FROM resource_minutes WHERE rowid IN (SELECT rowid FROM resource_minutes ORDER BY minute LIMIT ?)",
    );
  }

  /** False once the database is closed, or when it was opened read-only (nothing may be written). */
  get writable(): boolean {
    return this.db.isOpen && !this.db.readOnly;
  }

  /**
   * Writes `samples` (any number of sampling rounds) in one transaction: each as a raw row, and
   * into the roll-up of its minute. Throws, writing nothing, when a write fails.
   */
  append(samples: readonly ResourceSample[]): void {
    if (samples.length === 0) return;
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
    this.db.transaction(() => {
      for (const s of samples)
        this.insertRaw.run(
          s.id,
          s.version,
          s.at,
          s.cpuPercent,
          s.memoryBytes,
          s.fsReadBps,
          s.fsWriteBps,
          s.netInBps,
          s.netOutBps,
          s.calls,
          s.failures,
          s.p99Ms,
          s.intervalMs,
        );
      for (const m of minutes.values())
        this.upsertMinute.run(
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
        );
    });
  }

  /**
   * Deletes, in one transaction, raw rows older than `rawRetentionMs` (whole minutes, so a minute
   * is either raw or rolled up), roll-ups older than `rollupRetentionMs`, and then the oldest
   * rows until at most `maxRows` are left: roll-ups older than every raw row first, then raw
   * rows, then the remaining roll-ups. `now` is in ms since the epoch.
   */
  prune(now: number, retention: Retention): PruneResult {
    return this.db.transaction(() => {
      let raw = this.deleteRawBefore.run(minuteOf(now - retention.rawRetentionMs)).changes;
      let minutes = this.deleteMinutesBefore.run(now - retention.rollupRetentionMs).changes;
      const total = (this.countRaw.get() as { n: number }).n + (this.countMinutes.get() as { n: number }).n;
      let excess = total - Math.max(0, Math.trunc(retention.maxRows));
      if (excess > 0) {
        const oldest = (this.oldestRaw.get() as { at: number | null }).at;
        const trimmed =
          oldest === null
            ? this.trimMinutes.run(excess).changes
            : this.trimMinutesBefore.run(minuteOf(oldest), excess).changes;
        minutes += trimmed;
        excess -= trimmed;
      }
      if (excess > 0) {
        const trimmed = this.trimRaw.run(excess).changes;
        raw += trimmed;
        excess -= trimmed;
      }
      if (excess > 0) minutes += this.trimMinutes.run(excess).changes;
      return { raw, minutes };
    });
  }

  /** How many rows the history holds (raw and roll-ups). */
  rows(): PruneResult {
    return {
      raw: (this.countRaw.get() as { n: number }).n,
      minutes: (this.countMinutes.get() as { n: number }).n,
    };
  }

  /**
   * The history of the modules `filter` names between `since` and `until` (ms since the epoch,
   * `since` included, `until` not), ordered by module then time: raw samples where they are kept, one-minute
   * roll-ups (whose minute starts in the period) before the first raw sample of each module.
   */
  history(filter: ModuleFilter, since: number, until: number): ResourcePoint[] {
    const firsts = new Map<string, number>();
    const firstRows = this.query(
      filter,
      "SELECT id, version, min(at) AS at FROM resource_samples WHERE %WHERE% GROUP BY id, version",
    ).all(...params(filter)) as Array<{ id: string; version: string; at: number }>;
    for (const r of firstRows) firsts.set(`${r.id}@${r.version}`, minuteOf(r.at));
    const minutes = (
      this.query(
        filter,
        `SELECT ${MINUTE_COLUMNS} FROM resource_minutes WHERE %WHERE% AND minute >= ? AND minute < ? ORDER BY minute`,
      ).all(...params(filter), since, until) as MinuteRow[]
    ).filter((m) => {
      const first = firsts.get(`${m.id}@${m.version}`);
      return first === undefined || m.minute < first;
    });
    const raw = this.query(
      filter,
      `SELECT ${RAW_COLUMNS} FROM resource_samples WHERE %WHERE% AND at >= ? AND at < ? ORDER BY at`,
    ).all(...params(filter), since, until) as RawRow[];
    const points = [...minutes.map(minutePoint), ...raw.map(rawPoint)];
    return points.sort((a, b) =>
      a.id !== b.id
        ? a.id < b.id
          ? -1
          : 1
        : a.version !== b.version
          ? a.version < b.version
            ? -1
            : 1
          : a.at - b.at,
    );
  }

  /** A statement for `sql` with `%WHERE%` made to match `filter` (prepared once per shape). */
  private query(filter: ModuleFilter, sql: string): Statement {
    const where =
      filter.id === undefined ? "1 = 1" : filter.version === undefined ? "id = ?" : "id = ? AND version = ?";
    const text = sql.replace("%WHERE%", where);
    let statement = this.queries.get(text);
    if (statement === undefined) {
      statement = this.db.sql.prepare(text);
      this.queries.set(text, statement);
    }
    return statement;
  }
}

function params(filter: ModuleFilter): string[] {
  if (filter.id === undefined) return [];
  return filter.version === undefined ? [filter.id] : [filter.id, filter.version];
}

function rawPoint(r: RawRow): ResourcePoint {
  const disk = r.fs_read + r.fs_write;
  const net = r.net_in + r.net_out;
  return {
    id: r.id,
    version: r.version,
    at: r.at,
    resolution: "raw",
    samples: 1,
    cpuPercent: r.cpu,
    cpuPercentMax: r.cpu,
    memoryBytes: r.memory,
    memoryBytesMax: r.memory,
    diskBps: disk,
    diskBpsMax: disk,
    networkBps: net,
    networkBpsMax: net,
    calls: r.calls,
    failures: r.failures,
    p99Ms: r.p99_ms,
    p99MsMax: r.p99_ms,
  };
}

function minutePoint(m: MinuteRow): ResourcePoint {
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
