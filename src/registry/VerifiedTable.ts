import type { Database } from "../store/Database.js";

/** What {@link VerifiedTable} remembers of one installed copy found intact. */
export interface VerifiedCopy {
  digest: string;
  /** `treeFingerprint` of the copy when its files were last hashed and matched `digest`. */
  fingerprint: string;
}

/**
 * The `verified` table: installed copies whose files were hashed and matched their digest, with
 * the fingerprint of their metadata then. A later runtime whose fingerprint still matches skips
 * the hashing (see `IntegrityCheck`). Keys are store directories as given.
 */
export class VerifiedTable {
  private readonly statements;

  constructor(
    db: Database,
    /** False for a read-only database: nothing is remembered. */
    private readonly writable: boolean,
  ) {
    this.statements = {
      get: db.sql.prepare<[string], VerifiedCopy>("SELECT digest, fingerprint FROM verified WHERE dir = ?"),
      put: db.sql.prepare<[string, string, string]>(
        `INSERT INTO verified (dir, digest, fingerprint) VALUES (?, ?, ?)
         ON CONFLICT (dir) DO UPDATE SET digest = excluded.digest, fingerprint = excluded.fingerprint`,
      ),
    };
  }

  /** What was remembered of `dir`, if anything. */
  get(dir: string): VerifiedCopy | undefined {
    return this.statements.get.get(dir);
  }

  /** Remembers that `dir` matched `digest` with this `fingerprint`; a failed write only costs a hash later. */
  put(dir: string, copy: VerifiedCopy): void {
    if (!this.writable) return;
    try {
      this.statements.put.run(dir, copy.digest, copy.fingerprint);
    } catch {
      // A full disk or a lock held elsewhere: the copy is hashed again next time, nothing worse.
    }
  }
}
