import type { Clock } from "../common/Clock.js";
import type { Database } from "../store/Database.js";

/**
 * Why a module's active version was last recorded: an update or a rollback switched to it, an
 * update's new version was taken back (`rolled-back`), or it was serving when an update began
 * (`loaded`).
 */
export type ActiveReason = "update" | "rollback" | "rolled-back" | "loaded";

/** The version of a module that serves, as the data directory records it. */
export interface ActiveVersion {
  id: string;
  version: string;
  /** The version this one replaced (what `rollback` goes back to), if any. */
  previous: string | null;
  reason: ActiveReason;
  /** Milliseconds since epoch. */
  changedAt: number;
}

/**
 * The `active_versions` table: the desired state of updates. For each module an update or a
 * rollback has touched, the version that serves (a host loads that one, not the highest
 * installed) and the one it replaced. Written in one statement at the moment calls switch, so a
 * process killed at any point of an update leaves exactly one of the two versions recorded.
 */
export class ActiveVersions {
  private readonly statements;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    const sql = db.sql;
    this.statements = {
      get: sql.prepare<[string], ActiveRow>(
        "SELECT id, version, previous, reason, changed_at FROM active_versions WHERE id = ?",
      ),
      all: sql.prepare<[], ActiveRow>(
        "SELECT id, version, previous, reason, changed_at FROM active_versions ORDER BY id",
      ),
      set: sql.prepare<{ id: string; version: string; previous: string | null; reason: string; at: number }>(
        `INSERT INTO active_versions (id, version, previous, reason, changed_at)
         VALUES (@id, @version, @previous, @reason, @at)
         ON CONFLICT (id) DO UPDATE SET version = @version, previous = @previous, reason = @reason, changed_at = @at`,
      ),
    };
  }

  /** The recorded active version of `id`, if an update or rollback set one. */
  get(id: string): ActiveVersion | undefined {
    const row = this.statements.get.get(id);
    return row === undefined ? undefined : fromRow(row);
  }

  /** Every recorded active version, by id. */
  all(): ActiveVersion[] {
    return this.statements.all.all().map(fromRow);
  }

  /** Records `version` as the one of `id` that serves, having replaced `previous`. No-op on a read-only store. */
  set(id: string, version: string, previous: string | null, reason: ActiveReason): void {
    if (this.db.readOnly) return;
    this.statements.set.run({ id, version, previous, reason, at: this.clock.wallNow() });
  }
}

interface ActiveRow {
  id: string;
  version: string;
  previous: string | null;
  reason: ActiveReason;
  changed_at: number;
}

function fromRow(row: ActiveRow): ActiveVersion {
  return {
    id: row.id,
    version: row.version,
    previous: row.previous,
    reason: row.reason,
    changedAt: row.changed_at,
  };
}
