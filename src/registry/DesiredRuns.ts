import type { Clock } from "../common/Clock.js";
import type { Database } from "../store/Database.js";

/** What an operator last asked of a module: keep it `running`, or keep it `stopped`. */
export type DesiredRunState = "running" | "stopped";

/** An operator's last start or stop of a module, as the data directory records it. */
export interface DesiredRun {
  id: string;
  state: DesiredRunState;
  /** Milliseconds since epoch. */
  setAt: number;
}

/**
 * The `desired_runs` table: the desired state of operators (what `pm2 save` keeps, without the
 * separate save). For each module an operator started or stopped through the host (its API, or
 * the CLI through it), whether it should run; a host that starts on the data directory brings it
 * back: it starts those that should run after the eager modules, and leaves stopped those that
 * should not, eager or not. Restarts by the supervisor and idle unloads do not change it.
 */
export class DesiredRuns {
  private readonly statements;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    const sql = db.sql;
    this.statements = {
      all: sql.prepare<[], DesiredRow>("SELECT id, state, set_at FROM desired_runs ORDER BY id"),
      set: sql.prepare<{ id: string; state: DesiredRunState; at: number }>(
        `INSERT INTO desired_runs (id, state, set_at) VALUES (@id, @state, @at)
         ON CONFLICT (id) DO UPDATE SET state = @state, set_at = @at`,
      ),
    };
  }

  /** Every recorded desired state, by id. */
  all(): DesiredRun[] {
    return this.statements.all.all().map((row) => ({ id: row.id, state: row.state, setAt: row.set_at }));
  }

  /** Records `state` as what the operator wants of each of `ids`, in one transaction. No-op on a read-only store. */
  set(ids: readonly string[], state: DesiredRunState): void {
    if (this.db.readOnly || ids.length === 0) return;
    const at = this.clock.wallNow();
    this.db.transaction(() => {
      for (const id of ids) this.statements.set.run({ id, state, at });
    });
  }
}

interface DesiredRow {
  id: string;
  state: DesiredRunState;
  set_at: number;
}
