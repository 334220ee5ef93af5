import type { Statement } from "better-sqlite3";
import type { Database } from "../store/Database.js";
import type { ResourceSample } from "../vocabulary/resources.js";
import {
  MINUTE_COLUMNS,
  minuteOf,
  minutePoint,
  minuteValues,
  rollUp,
  UPSERT_MINUTE,
  type MinuteRow,
} from "./MinuteRollup.js";
import type { ResourcePoint } from "./ResourcePoint.js";
import { versionTotals } from "./versionTotals.js";

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

/** {@link RAW_COLUMNS} over the rows of one version and instant: sums (null when every one is), the highest p99. */
const RAW_TOTALS =
  "id, version, at, sum(cpu) AS cpu, sum(memory) AS memory, sum(fs_read) AS fs_read, sum(fs_write) AS fs_write, " +
  "sum(net_in) AS net_in, sum(net_out) AS net_out, sum(calls) AS calls, sum(failures) AS failures, max(p99_ms) AS p99_ms";

const RAW_COLUMNS =
  "id, version, at, cpu, memory, fs_read, fs_write, net_in, net_out, calls, failures, p99_ms";
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
    this.upsertMinute = sql.prepare(UPSERT_MINUTE);
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
   * Writes `samples` (any number of sampling rounds) in one transaction: the replicas of a module
   * version in a round as one sample of the version ({@link versionTotals}), each as a raw row and
   * into the roll-up of its minute. Throws, writing nothing, when a write fails.
   */
  append(samples: readonly ResourceSample[]): void {
    if (samples.length === 0) return;
    const rows = versionTotals(samples);
    const minutes = rollUp(rows);
    this.db.transaction(() => {
      for (const s of rows)
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
      for (const m of minutes) this.upsertMinute.run(...minuteValues(m));
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
   * `since` included, `until` not), ordered by module then time, one point per module version and
   * instant (a replicated module's replicas added up): raw samples where they are kept, one-minute
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
    // Rows written before replicas were added up on writing hold one row per replica: added up here.
    const raw = this.query(
      filter,
      `SELECT ${RAW_TOTALS} FROM resource_samples WHERE %WHERE% AND at >= ? AND at < ? ` +
        "GROUP BY id, version, at ORDER BY at",
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
