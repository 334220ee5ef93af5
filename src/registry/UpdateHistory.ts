import type { Database } from "../store/Database.js";

/** How many updates of each module the history keeps: the oldest go as new ones are recorded. */
export const HISTORY_PER_MODULE = 200;

/** What one update was asked to do: an update (to a version), or a rollback (to the one the last update replaced). */
export type HistoryAction = "update" | "rollback";

/** One update or rollback a runtime ran, and how it ended. */
export interface UpdateHistoryEntry {
  /** Increasing over the data directory: a later update has a higher number. */
  seq: number;
  id: string;
  action: HistoryAction;
  /** `blue-green` or `canary`. */
  strategy: string;
  /** The version that served before (null: none was loaded). */
  from: string | null;
  /** The version updated to (null: it failed before one was known). */
  to: string | null;
  /** The report's outcome: `completed`, `installed`, `unchanged`, `rolled-back` or `failed`. */
  outcome: string;
  /** The `CHIP_ERR_*` code it failed with (`CHIP_ERR_UPDATE_FAILED`, `CHIP_ERR_INTEGRITY_MISMATCH`...); null when it did not fail. */
  code: string | null;
  /** That error's message; null when it did not fail. */
  message: string | null;
  /** Milliseconds since epoch. */
  startedAt: number;
  finishedAt: number;
  /** The update's report (`UpdateReport`, as JSON): each step with its duration, the source, the canary. */
  report: Record<string, unknown>;
}

/** What is recorded of an update (the number is given by the table). */
export type UpdateHistoryRecord = Omit<UpdateHistoryEntry, "seq">;

interface HistoryRow {
  seq: number;
  id: string;
  action: HistoryAction;
  strategy: string;
  from_version: string | null;
  to_version: string | null;
  outcome: string;
  code: string | null;
  message: string | null;
  started_at: number;
  finished_at: number;
  report: string;
}

const COLUMNS =
  "seq, id, action, strategy, from_version, to_version, outcome, code, message, started_at, finished_at, report";

/**
 * The `update_history` table: every update and rollback of each module and how it ended, newest
 * {@link HISTORY_PER_MODULE} kept per module (pruned in the same transaction as each insert). The
 * runtime's `Updater` writes it; `runtime.queries.updateHistory` and `GET /v1/modules/{ref}/updates` read it.
 */
export class UpdateHistory {
  private readonly statements;

  constructor(
    private readonly db: Database,
    private readonly keep = HISTORY_PER_MODULE,
  ) {
    const sql = db.sql;
    this.statements = {
      add: sql.prepare<Omit<HistoryRow, "seq">>(
        `INSERT INTO update_history (id, action, strategy, from_version, to_version, outcome, code, message, started_at, finished_at, report)
         VALUES (@id, @action, @strategy, @from_version, @to_version, @outcome, @code, @message, @started_at, @finished_at, @report)`,
      ),
      prune: sql.prepare<{ id: string; keep: number }>(
        `DELETE FROM update_history WHERE id = @id AND seq <= (
           SELECT seq FROM update_history WHERE id = @id ORDER BY seq DESC LIMIT 1 OFFSET @keep)`,
      ),
      list: sql.prepare<[string, number], HistoryRow>(
        `SELECT ${COLUMNS} FROM update_history WHERE id = ? ORDER BY seq DESC LIMIT ?`,
      ),
    };
  }

  /** Records one update of `entry.id` and forgets its oldest beyond the limit; returns its number. No-op (0) on a read-only store. */
  record(entry: UpdateHistoryRecord): number {
    if (this.db.readOnly) return 0;
    return this.db.transaction(() => {
      const info = this.statements.add.run({
        id: entry.id,
        action: entry.action,
        strategy: entry.strategy,
        from_version: entry.from,
        to_version: entry.to,
        outcome: entry.outcome,
        code: entry.code,
        message: entry.message,
        started_at: entry.startedAt,
        finished_at: entry.finishedAt,
        report: JSON.stringify(entry.report),
      });
      this.statements.prune.run({ id: entry.id, keep: this.keep });
      return Number(info.lastInsertRowid);
    });
  }

  /** The newest `limit` updates of module `id`, newest first. */
  list(id: string, limit: number): UpdateHistoryEntry[] {
    return this.statements.list.all(id, limit).map(fromRow);
  }
}

function fromRow(row: HistoryRow): UpdateHistoryEntry {
  return {
    seq: row.seq,
    id: row.id,
    action: row.action,
    strategy: row.strategy,
    from: row.from_version,
    to: row.to_version,
    outcome: row.outcome,
    code: row.code,
    message: row.message,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    report: JSON.parse(row.report) as Record<string, unknown>,
  };
}
