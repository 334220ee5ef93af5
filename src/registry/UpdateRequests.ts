import type { Clock } from "../common/Clock.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Database } from "../store/Database.js";
import { isOtherLiveProcess } from "./StoreLayout.js";

/** What a request asks a host to do to a module. */
export type UpdateAction = "update" | "rollback";

/** The options a request carries (a subset of `runtime.update`'s, as plain JSON). */
export interface RequestedUpdate {
  /** An absolute path: a module directory or an `npm pack` tarball. */
  from?: string;
  version?: string;
  integrity?: string;
  /** A registry URL to fetch from instead of the one `sources` names. */
  registry?: string;
  drainTimeoutMs?: number;
  graceMs?: number;
  /** The canary strategy's settings (`runtime.update`'s `canary`); absent: blue-green. */
  canary?: { percent?: number; durationMs?: number; maxErrorRate?: number; maxP99Ms?: number };
}

/** Where a request is: waiting for a host, being run, or over. */
export type RequestStatus = "pending" | "running" | "done" | "failed";

/** An error as a request records it. */
export interface RecordedError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** One update or rollback request and what became of it. */
export interface UpdateRequest {
  seq: number;
  id: string;
  action: UpdateAction;
  options: RequestedUpdate;
  status: RequestStatus;
  /** The step under way, while it runs. */
  step: string | null;
  /** When over: the update's report (when there was one), and the error when it failed. */
  result: { report?: unknown; error?: RecordedError } | null;
  requestedBy: number;
  takenBy: number | null;
  /** Milliseconds since epoch. */
  requestedAt: number;
  finishedAt: number | null;
}

interface RequestRow {
  seq: number;
  id: string;
  action: UpdateAction;
  options: string;
  status: RequestStatus;
  step: string | null;
  result: string | null;
  requested_by: number;
  taken_by: number | null;
  requested_at: number;
  finished_at: number | null;
}

const COLUMNS =
  "seq, id, action, options, status, step, result, requested_by, taken_by, requested_at, finished_at";

/**
 * The `update_requests` and `hosts` tables: how `chipset update` and `chipset rollback` in one
 * terminal reach a host (`chipset start`) running on the same data directory. The CLI leaves a
 * request; the host takes it, records the step under way, and records the outcome, which the
 * CLI reads. A host registers its process while it serves requests; one that is gone (killed)
 * holds nothing, and its unfinished requests are marked failed by the next host or CLI to look.
 */
export class UpdateRequests {
  private readonly statements;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    const sql = db.sql;
    this.statements = {
      ask: sql.prepare<{ id: string; action: string; options: string; pid: number; at: number }>(
        `INSERT INTO update_requests (id, action, options, status, requested_by, requested_at)
         VALUES (@id, @action, @options, 'pending', @pid, @at)`,
      ),
      get: sql.prepare<[number], RequestRow>(`SELECT ${COLUMNS} FROM update_requests WHERE seq = ?`),
      oldestPending: sql.prepare<[], RequestRow>(
        `SELECT ${COLUMNS} FROM update_requests WHERE status = 'pending' ORDER BY seq LIMIT 1`,
      ),
      take: sql.prepare<[number, number]>(
        "UPDATE update_requests SET status = 'running', taken_by = ? WHERE seq = ? AND status = 'pending'",
      ),
      step: sql.prepare<[string, number]>("UPDATE update_requests SET step = ? WHERE seq = ?"),
      finish: sql.prepare<{ seq: number; status: string; result: string; at: number }>(
        `UPDATE update_requests SET status = @status, result = @result, step = NULL, finished_at = @at
         WHERE seq = @seq AND status IN ('pending', 'running')`,
      ),
      running: sql.prepare<[], RequestRow>(`SELECT ${COLUMNS} FROM update_requests WHERE status = 'running'`),
      hostUp: sql.prepare<[number, number]>(
        "INSERT INTO hosts (pid, started_at) VALUES (?, ?) ON CONFLICT (pid) DO UPDATE SET started_at = excluded.started_at",
      ),
      hostDown: sql.prepare<[number]>("DELETE FROM hosts WHERE pid = ?"),
      hosts: sql.prepare<[], { pid: number }>("SELECT pid FROM hosts ORDER BY started_at DESC"),
    };
  }

  /** Leaves a request for a host; returns its number. */
  ask(id: string, action: UpdateAction, options: RequestedUpdate): number {
    const info = this.statements.ask.run({
      id,
      action,
      options: JSON.stringify(options),
      pid: process.pid,
      at: this.clock.wallNow(),
    });
    return Number(info.lastInsertRowid);
  }

  /** Request `seq` as it stands now. */
  get(seq: number): UpdateRequest | undefined {
    const row = this.statements.get.get(seq);
    return row === undefined ? undefined : fromRow(row);
  }

  /** Takes the oldest pending request for this process to run (marked running), if there is one. */
  take(): UpdateRequest | undefined {
    return this.db.transaction(() => {
      const row = this.statements.oldestPending.get();
      if (row === undefined) return undefined;
      this.statements.take.run(process.pid, row.seq);
      return fromRow({ ...row, status: "running", taken_by: process.pid });
    });
  }

  /** Records the step request `seq` is at (for the CLI's progress). */
  progress(seq: number, step: string): void {
    this.statements.step.run(step, seq);
  }

  /** Records the outcome of request `seq` (a pending one too: it was cancelled). No-op once it is over. */
  finish(seq: number, status: "done" | "failed", result: NonNullable<UpdateRequest["result"]>): void {
    this.statements.finish.run({ seq, status, result: JSON.stringify(result), at: this.clock.wallNow() });
  }

  /**
   * Marks failed the requests a host took and did not finish because its process is gone
   * (killed): whatever it had done, the active version recorded is the one that serves.
   */
  abandonDead(): void {
    for (const row of this.statements.running.all()) {
      if (row.taken_by === null || row.taken_by === process.pid || isOtherLiveProcess(row.taken_by)) continue;
      this.finish(row.seq, "failed", {
        error: {
          code: ErrorCodes.UPDATE_FAILED,
          message: `the host (process ${row.taken_by}) stopped during the ${row.action} of ${row.id}${row.step === null ? "" : `, at its ${row.step} step`}; the version recorded as active is the one that serves`,
          details: { module: row.id, step: row.step, host: row.taken_by },
        },
      });
    }
  }

  /** Records that this process serves requests (a host), until {@link hostDown}. */
  hostUp(): void {
    this.statements.hostUp.run(process.pid, this.clock.wallNow());
  }

  /** Forgets this process as a host. */
  hostDown(): void {
    this.statements.hostDown.run(process.pid);
  }

  /** The process id of a live host on this data directory (other than this process), if any. */
  liveHost(): number | undefined {
    return this.statements.hosts.all().find((h) => isOtherLiveProcess(h.pid))?.pid;
  }
}

function fromRow(row: RequestRow): UpdateRequest {
  return {
    seq: row.seq,
    id: row.id,
    action: row.action,
    options: JSON.parse(row.options) as RequestedUpdate,
    status: row.status,
    step: row.step,
    result: row.result === null ? null : (JSON.parse(row.result) as UpdateRequest["result"]),
    requestedBy: row.requested_by,
    takenBy: row.taken_by,
    requestedAt: row.requested_at,
    finishedAt: row.finished_at,
  };
}
