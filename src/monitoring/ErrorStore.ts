import type { Statement } from "better-sqlite3";
import type { Database } from "../store/Database.js";

/** One recorded error, as queries return it (JSON-serialisable; absent fields are omitted). */
export interface ErrorEntry {
  /** Increasing across every writer of the database; gaps are errors dropped before being written. */
  seq: number;
  /** Milliseconds since epoch. */
  at: number;
  /** `CHIP_ERR_*`, or `UNKNOWN` for anything that is not a ChipsetError. */
  code: string;
  /** The error's `name` (`ChipsetError`, `TypeError`), or `NonError` for a thrown non-Error value. */
  name: string;
  category: string;
  severity: string;
  transient: boolean;
  message: string;
  /** The module's id; absent for errors of the runtime itself (counted under {@link RUNTIME_MODULE}). */
  id?: string;
  version?: string;
  method?: string;
  attempt?: number;
  host?: string;
  callId?: number;
  /** The first line of each cause down the chain: "CHIP_ERR_CALL_FAILED: msg" or "TypeError: msg". At most 5. */
  causes: string[];
}

/** All-time error counts. Objects without a prototype, so any module id is a safe key. */
export interface ErrorCounts {
  byCode: Record<string, number>;
  /** Keyed by module id; errors with no module are under {@link RUNTIME_MODULE}. */
  byModule: Record<string, number>;
  total: number;
}

/** An increment of the all-time counter of one code and module. */
export interface ErrorCountDelta {
  code: string;
  /** A module id or {@link RUNTIME_MODULE}. */
  module: string;
  count: number;
}

/**
 * The module key of errors that belong to no module (runtime, registry, CLI). Not a valid
 * npm package name, so it cannot clash with a module id; pass it as `id` to filter on them.
 */
export const RUNTIME_MODULE = "(runtime)";

/** Counts with nothing in them yet. */
export function emptyCounts(): ErrorCounts {
  return {
    byCode: Object.create(null) as Record<string, number>,
    byModule: Object.create(null) as Record<string, number>,
    total: 0,
  };
}

/** Adds `n` errors of `code` in `module` to `counts`. */
export function addCount(counts: ErrorCounts, code: string, module: string, n: number): void {
  counts.byCode[code] = (counts.byCode[code] ?? 0) + n;
  counts.byModule[module] = (counts.byModule[module] ?? 0) + n;
  counts.total += n;
}

interface ErrorRow {
  seq: number;
  at: number;
  code: string;
  name: string;
  category: string;
  severity: string;
  transient: 0 | 1;
  message: string;
  module: string;
  version: string | null;
  method: string | null;
  attempt: number | null;
  host: string | null;
  call_id: number | null;
  causes: string;
}

const COLUMNS =
  "seq, at, code, name, category, severity, transient, message, module, version, method, attempt, host, call_id, causes";

/**
 * What the error monitor persists in the data directory's database, so that `chipset errors`
 * can read from another process what a runtime saw: the recent errors (bounded by the writer)
 * and all-time counters keyed by code and module.
 */
export class ErrorStore {
  private readonly insert: Statement;
  private readonly bump: Statement;
  private readonly trim: Statement;
  private readonly last: Statement;
  private readonly listAll: Statement;
  private readonly listOf: Statement;
  private readonly countAll: Statement;
  private readonly countOf: Statement;
  private readonly countBetween: Statement;

  constructor(private readonly db: Database) {
    const sql = db.sql;
    this.insert = sql.prepare(
      `INSERT INTO errors (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.bump = sql.prepare(
      "INSERT INTO error_counts (code, module, count) VALUES (?, ?, ?) " +
        "ON CONFLICT (code, module) DO UPDATE SET count = count + excluded.count",
    );
    this.trim = sql.prepare(
      "DELETE FROM errors WHERE seq <= (SELECT seq FROM errors ORDER BY seq DESC LIMIT 1 OFFSET ?)",
    );
    // The AUTOINCREMENT high-water mark: it stays put when every row has been deleted.
    this.last = sql.prepare(
      "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'errors'), 0) AS seq",
    );
    this.listAll = sql.prepare(`SELECT ${COLUMNS} FROM errors ORDER BY seq DESC LIMIT ?`);
    this.listOf = sql.prepare(`SELECT ${COLUMNS} FROM errors WHERE module = ? ORDER BY seq DESC LIMIT ?`);
    this.countAll = sql.prepare("SELECT code, module, count FROM error_counts ORDER BY code, module");
    this.countOf = sql.prepare("SELECT code, module, count FROM error_counts WHERE module = ? ORDER BY code");
    this.countBetween = sql.prepare(
      "SELECT module, version, count(*) AS count FROM errors WHERE at >= ? AND at < ? " +
        "GROUP BY module, version ORDER BY module, version",
    );
  }

  /** Absolute path of the database file, for messages. */
  get path(): string {
    return this.db.path;
  }

  /** The highest `seq` ever written (0 for none). */
  lastSeq(): number {
    return (this.last.get() as { seq: number }).seq;
  }

  /**
   * In one transaction: appends `entries` (oldest first, `seq` increasing), adds `counts` to the
   * all-time counters and deletes all but the newest `keep` entries. Entries another writer got
   * ahead of are renumbered after its rows, order kept. Returns the `seq` of the last entry
   * written ({@link lastSeq} when there is none). Throws, writing nothing, when a write fails.
   */
  append(entries: readonly ErrorEntry[], counts: readonly ErrorCountDelta[], keep: number): number {
    return this.db.transaction(() => {
      const last = this.lastSeq();
      const first = entries[0]?.seq;
      const shift = first !== undefined && first <= last ? last + 1 - first : 0;
      let written = last;
      for (const e of entries) {
        written = e.seq + shift;
        this.insert.run(
          written,
          e.at,
          e.code,
          e.name,
          e.category,
          e.severity,
          e.transient ? 1 : 0,
          e.message,
          e.id ?? RUNTIME_MODULE,
          e.version ?? null,
          e.method ?? null,
          e.attempt ?? null,
          e.host ?? null,
          e.callId ?? null,
          JSON.stringify(e.causes),
        );
      }
      for (const c of counts) if (c.count > 0) this.bump.run(c.code, c.module, c.count);
      if (entries.length > 0) this.trim.run(Math.max(1, Math.trunc(keep)));
      return written;
    });
  }

  /** The most recent entries, newest first, of one module id (or {@link RUNTIME_MODULE}) when given. Default limit 50. */
  recent(filter: { id?: string; limit?: number } = {}): ErrorEntry[] {
    const limit = Math.max(0, Math.trunc(filter.limit ?? 50));
    const rows = (
      filter.id === undefined ? this.listAll.all(limit) : this.listOf.all(filter.id, limit)
    ) as ErrorRow[];
    return rows.map(toEntry);
  }

  /**
   * How many errors each module version (`version` null: recorded without one; `id` null: of the
   * runtime itself) had between `since` and `until` (ms since the epoch, `since` included, `until` not), among
   * the recent errors kept.
   */
  countsBetween(
    since: number,
    until: number,
  ): Array<{ id: string | null; version: string | null; count: number }> {
    const rows = this.countBetween.all(since, until) as Array<{
      module: string;
      version: string | null;
      count: number;
    }>;
    return rows.map((r) => ({
      id: r.module === RUNTIME_MODULE ? null : r.module,
      version: r.version,
      count: r.count,
    }));
  }

  /** The all-time counts, of one module id (or {@link RUNTIME_MODULE}) when given. */
  counts(filter: { id?: string } = {}): ErrorCounts {
    const rows = (
      filter.id === undefined ? this.countAll.all() : this.countOf.all(filter.id)
    ) as ErrorCountDelta[];
    const counts = emptyCounts();
    for (const r of rows) addCount(counts, r.code, r.module, r.count);
    return counts;
  }
}

function toEntry(r: ErrorRow): ErrorEntry {
  return {
    seq: r.seq,
    at: r.at,
    code: r.code,
    name: r.name,
    category: r.category,
    severity: r.severity,
    transient: r.transient === 1,
    message: r.message,
    ...(r.module === RUNTIME_MODULE ? {} : { id: r.module }),
    ...(r.version === null ? {} : { version: r.version }),
    ...(r.method === null ? {} : { method: r.method }),
    ...(r.attempt === null ? {} : { attempt: r.attempt }),
    ...(r.host === null ? {} : { host: r.host }),
    ...(r.call_id === null ? {} : { callId: r.call_id }),
    causes: JSON.parse(r.causes) as string[],
  };
}
