import type { Database } from "../store/Database.js";

/** One version this node put in its cluster's catalogue, with the tree digest it published. */
export interface PublishedVersion {
  id: string;
  version: string;
  digest: string;
}

/**
 * The `cluster_published` table: what this node has published to cluster `cluster`. It is the
 * shared registry's outbox by difference: a local version absent here (or here with another
 * digest) is still to publish, and a row whose version left the registry is a removal still to
 * publish. Being a diff of two tables rather than a queue of events, it also catches a
 * `chipset add` run by another process on the same data directory, and survives a restart.
 */
export class PublishedTable {
  private readonly statements;

  constructor(
    db: Database,
    private readonly cluster: string,
  ) {
    this.statements = {
      all: db.sql.prepare<[string], PublishedVersion>(
        "SELECT id, version, digest FROM cluster_published WHERE cluster = ? ORDER BY at, id, version",
      ),
      put: db.sql.prepare<[string, string, string, string, number]>(
        `INSERT INTO cluster_published (cluster, id, version, digest, at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (cluster, id, version) DO UPDATE SET digest = excluded.digest, at = excluded.at`,
      ),
      remove: db.sql.prepare<[string, string, string]>(
        "DELETE FROM cluster_published WHERE cluster = ? AND id = ? AND version = ?",
      ),
    };
  }

  /** Every version published, oldest first. */
  all(): PublishedVersion[] {
    return this.statements.all.all(this.cluster);
  }

  /** Records that `version` was published with `digest`, at `at` (ms since epoch). */
  put(version: PublishedVersion, at: number): void {
    this.statements.put.run(this.cluster, version.id, version.version, version.digest, at);
  }

  /** Forgets `id@version` (its removal was published). */
  remove(id: string, version: string): void {
    this.statements.remove.run(this.cluster, id, version);
  }
}
