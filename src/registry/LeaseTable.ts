import type { Database } from "../store/Database.js";

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
 * A lease of a process that is gone (killed) is stale: readers check liveness themselves.
 */
export class LeaseTable {
  private readonly statements;

  constructor(db: Database) {
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

  /** Records that process `pid` has `id@version` loaded since `at` (ms since epoch); idempotent. */
  acquire(id: string, version: string, pid: number, at: number): void {
    this.statements.acquire.run({ id, version, pid, at });
  }

  /** Forgets the lease of `pid` on `id@version`, if any. */
  release(id: string, version: string, pid: number): void {
    this.statements.release.run(id, version, pid);
  }

  /** Forgets every lease of `pid`. */
  releaseAll(pid: number): void {
    this.statements.releaseAll.run(pid);
  }

  /** Every lease on a version of `id`, stale ones included. */
  of(id: string): Lease[] {
    return this.statements.of
      .all(id)
      .map((r) => ({ id: r.id, version: r.version, pid: r.pid, acquiredAt: r.acquired_at }));
  }
}
