import type { Clock } from "../common/Clock.js";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import type { Database } from "../store/Database.js";
import { moduleKey } from "../vocabulary/moduleRef.js";
import { isOtherLiveProcess } from "./StoreLayout.js";

/** A module version held loaded by a runtime in some process. */
export interface Lease {
  id: string;
  version: string;
  /** The process whose runtime holds it. */
  pid: number;
  /** Milliseconds since epoch. */
  acquiredAt: number;
}

/**
 * The `leases` table: which runtime process has which installed module version loaded, so that
 * another process (`chipset remove` from a second terminal) does not delete files in use.
 * A lease of a process that is gone (killed) is stale and holds nothing back. This process's
 * leases are written only when the registry is writable.
 */
export class LeaseTable {
  private readonly statements;

  constructor(
    db: Database,
    private readonly clock: Clock,
    /** False for a read-only registry: this process takes no leases. */
    private readonly writable: boolean,
  ) {
    const sql = db.sql;
    this.statements = {
      acquire: sql.prepare<{ id: string; version: string; pid: number; at: number }>(
        `INSERT INTO leases (id, version, pid, acquired_at) VALUES (@id, @version, @pid, @at)
         ON CONFLICT (id, version, pid) DO NOTHING`,
      ),
      release: sql.prepare<[string, string, number]>(
        "DELETE FROM leases WHERE id = ? AND version = ? AND pid = ?",
      ),
      releaseAll: sql.prepare<[number]>("DELETE FROM leases WHERE pid = ?"),
      of: sql.prepare<[string], { id: string; version: string; pid: number; acquired_at: number }>(
        "SELECT id, version, pid, acquired_at FROM leases WHERE id = ? ORDER BY version, pid",
      ),
    };
  }

  /** Records that this process has `id@version` loaded (idempotent), until {@link release}. */
  acquire(id: string, version: string): void {
    if (!this.writable) return;
    this.statements.acquire.run({ id, version, pid: process.pid, at: this.clock.wallNow() });
  }

  /** Forgets the lease of `pid` (default: this process) on `id@version`, if any. */
  release(id: string, version: string, pid = process.pid): void {
    if (!this.writable) return;
    this.statements.release.run(id, version, pid);
  }

  /** Forgets every lease of this process (its runtime is closing). */
  releaseAll(): void {
    if (!this.writable) return;
    this.statements.releaseAll.run(process.pid);
  }

  /** Every lease on a version of `id`, stale ones included. */
  of(id: string): Lease[] {
    return this.statements.of
      .all(id)
      .map((r) => ({ id: r.id, version: r.version, pid: r.pid, acquiredAt: r.acquired_at }));
  }

  /** The leases on versions of `id` held by runtimes in other live processes. */
  heldElsewhere(id: string): Lease[] {
    return this.of(id).filter((l) => l.pid !== process.pid && isOtherLiveProcess(l.pid));
  }

  /** Throws `CHIP_ERR_MODULE_IN_USE` when another live process holds a lease on one of `versions` of `id`. */
  refuseRemoval(id: string, versions: readonly string[]): void {
    const held = this.heldElsewhere(id).filter((l) => versions.includes(l.version));
    if (held.length === 0) return;
    const who = held.map((l) => `${moduleKey(l.id, l.version)} by process ${l.pid}`).join(", ");
    throw new ChipsetError(
      ErrorCodes.MODULE_IN_USE,
      `Cannot remove ${id}: a running Chipset runtime has it loaded (${who}). ` +
        "Unload it there (or stop that runtime) first, then remove it.",
      { module: id, details: { leases: held.map((l) => ({ version: l.version, pid: l.pid })) } },
    );
  }
}
