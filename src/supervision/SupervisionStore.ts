import { deserialize, serialize } from "node:v8";
import type { Statement } from "better-sqlite3";
import type { CrashKind } from "../vocabulary/hosts.js";
import type { Database } from "../store/Database.js";
import { storeFailed } from "../store/storeFailed.js";
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";

/** One crash as recorded: when, how, and what the supervisor did about it. */
export interface CrashRecord {
  id: string;
  version: string;
  /** Milliseconds since epoch. */
  at: number;
  kind: CrashKind;
  message: string;
  /** `restart`: restarted after `delayMs`; `none`: its policy does not restart; `gave-up`: over its limit. */
  action: "restart" | "none" | "gave-up";
  delayMs: number | undefined;
}

/** The last checkpoint of a module. */
export interface Checkpoint {
  version: string;
  state: unknown;
  /** Milliseconds since epoch. */
  savedAt: number;
}

/** Whose checkpoint: a module version's replica (0 for a module that runs as one instance). */
export interface CheckpointOwner {
  readonly id: string;
  readonly version: string;
  readonly replica: number;
}

/** How many crashes are kept per module (older ones are deleted). */
const KEEP_CRASHES = 100;

/**
 * What supervision persists in the data directory's database: each module's last checkpoint
 * (structured-clone serialised, so anything a module may send across a worker boundary can be
 * saved) and its crash history (bounded), which `chipset info` shows from another process.
 */
export class SupervisionStore {
  private readonly putCheckpoint: Statement;
  private readonly getCheckpoint: Statement;
  private readonly deleteCheckpoint: Statement;
  private readonly putCrash: Statement;
  private readonly trimCrashes: Statement;
  private readonly listCrashes: Statement;
  private readonly countRestarts: Statement;

  constructor(private readonly db: Database) {
    const sql = db.sql;
    this.putCheckpoint = sql.prepare(
      "INSERT INTO checkpoints (id, version, replica, state, saved_at) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT (id, version, replica) DO UPDATE SET state = excluded.state, saved_at = excluded.saved_at",
    );
    this.getCheckpoint = sql.prepare(
      "SELECT version, state, saved_at FROM checkpoints WHERE id = ? AND replica = ? " +
        "ORDER BY saved_at DESC, version DESC",
    );
    this.deleteCheckpoint = sql.prepare(
      "DELETE FROM checkpoints WHERE id = ? AND version = ? AND replica = ?",
    );
    this.putCrash = sql.prepare(
      "INSERT INTO crashes (id, version, at, kind, message, action, delay_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.trimCrashes = sql.prepare(
      "DELETE FROM crashes WHERE id = ? AND seq <= (SELECT seq FROM crashes WHERE id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
    );
    this.listCrashes = sql.prepare(
      "SELECT id, version, at, kind, message, action, delay_ms FROM crashes WHERE id = ? ORDER BY seq DESC LIMIT ?",
    );
    this.countRestarts = sql.prepare(
      "SELECT id, version, count(*) AS count FROM crashes WHERE action = 'restart' AND at >= ? AND at < ? " +
        "GROUP BY id, version ORDER BY id, version",
    );
  }

  /**
   * Saves `state` as the last checkpoint of replica `replica` (0 for a module that runs as one
   * instance) of `id@version`, at `at` (ms since epoch). Throws `CHIP_ERR_STATE_INVALID` for a
   * state that cannot be cloned or takes more than `maxBytes` serialised (nothing is stored then;
   * the last checkpoint stays).
   */
  saveCheckpoint(
    { id, version, replica }: CheckpointOwner,
    state: unknown,
    at: number,
    maxBytes: number,
  ): void {
    let bytes: Buffer;
    try {
      bytes = serialize(state);
    } catch (err) {
      throw new ChipsetError(
        ErrorCodes.STATE_INVALID,
        `${id}@${version}: ctx.checkpoint() was given a state that cannot be stored (${messageOf(err)}); ` +
          `pass structured-clonable data (no functions, handles or class instances with private state)`,
        { module: `${id}@${version}`, cause: err },
      );
    }
    if (bytes.length > maxBytes) {
      const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;
      throw new ChipsetError(
        ErrorCodes.STATE_INVALID,
        `${id}@${version}: ctx.checkpoint() was given ${kib(bytes.length)} of state, over its limit of ${kib(maxBytes)}; ` +
          `checkpoint less (what a restart needs to resume) or raise limits.checkpointKb in its manifest`,
        { module: `${id}@${version}`, details: { bytes: bytes.length, limitBytes: maxBytes } },
      );
    }
    try {
      this.putCheckpoint.run(id, version, replica, bytes, at);
    } catch (err) {
      throw storeFailed(`${id}@${version}: its checkpoint could not be written`, err, {
        module: `${id}@${version}`,
      });
    }
  }

  /**
   * The checkpoint a restart of replica `replica` of `id@version` resumes from: that replica's
   * own, else the newest of the same replica of a version not in `others` (an update's old
   * version hands on; a version running side by side keeps its own). Another replica's is never
   * taken. Undefined when there is none.
   */
  checkpoint(
    { id, version, replica }: CheckpointOwner,
    others: ReadonlySet<string> = new Set(),
  ): Checkpoint | undefined {
    const rows = this.getCheckpoint.all(id, replica) as Array<{
      version: string;
      state: Buffer;
      saved_at: number;
    }>;
    const row = rows.find((r) => r.version === version) ?? rows.find((r) => !others.has(r.version));
    return row
      ? { version: row.version, state: deserialize(row.state) as unknown, savedAt: row.saved_at }
      : undefined;
  }

  /** Forgets the checkpoint of `owner` (a replica scaled away), if it has one. */
  dropCheckpoint({ id, version, replica }: CheckpointOwner): void {
    if (this.db.isOpen) this.deleteCheckpoint.run(id, version, replica);
  }

  /** Records a crash (keeping the last 100 of each module). */
  recordCrash(c: CrashRecord): void {
    if (!this.db.isOpen) return;
    this.db.transaction(() => {
      this.putCrash.run(c.id, c.version, c.at, c.kind, c.message, c.action, c.delayMs ?? null);
      this.trimCrashes.run(c.id, c.id, KEEP_CRASHES);
    });
  }

  /**
   * How many crashes each module version was restarted after between `since` and `until` (ms
   * since the epoch, `since` included, `until` not), as far as the kept history (100 crashes a module) goes.
   */
  restartsBetween(since: number, until: number): Array<{ id: string; version: string; count: number }> {
    return this.countRestarts.all(since, until) as Array<{ id: string; version: string; count: number }>;
  }

  /** The most recent crashes of `id`, newest first. */
  crashes(id: string, limit = 20): CrashRecord[] {
    const rows = this.listCrashes.all(id, limit) as Array<{
      id: string;
      version: string;
      at: number;
      kind: CrashKind;
      message: string;
      action: CrashRecord["action"];
      delay_ms: number | null;
    }>;
    return rows.map((r) => ({
      id: r.id,
      version: r.version,
      at: r.at,
      kind: r.kind,
      message: r.message,
      action: r.action,
      delayMs: r.delay_ms ?? undefined,
    }));
  }
}
