import { messageOf } from "../errors/index.js";
import type { Database } from "../store/Database.js";
import { moduleKey } from "../vocabulary/moduleRef.js";
import { digestTree } from "../common/digestTree.js";
import { writablePaths } from "./writablePaths.js";
import type { Lease, LeaseTable } from "./LeaseTable.js";
import { recoverStore, type RecoveryReport } from "./recoverStore.js";
import { isBadRow, type BadRow, type RegistryTable } from "./RegistryTable.js";
import { isOtherLiveProcess, type StoreLayout } from "./StoreLayout.js";

/** One installed copy whose files are not what was installed. */
export interface VerifyProblem {
  id: string;
  version: string;
  problem: string;
}

/** What `chipset doctor` found in a data directory (see {@link RegistryDoctor.examine}). */
export interface DoctorFindings {
  /** What SQLite's `quick_check` reported, other than "ok". */
  database: string[];
  /** Rows that cannot be read back. */
  badRows: BadRow[];
  /** Installed copies that are missing or whose files changed since they were installed. */
  tampered: VerifyProblem[];
  /** Leases of processes that are gone (they block nothing; repair deletes them). */
  staleLeases: Lease[];
}

/** What {@link RegistryDoctor.repair} did. Keys are `id@version`. */
export interface DoctorRepairs {
  /** Damaged rows deleted; recovery then rebuilt those whose store copy is complete. */
  deletedRows: string[];
  /** Changed copies moved to quarantine and their rows deleted. */
  quarantined: string[];
  /** Of those, the ones installed again from their recorded source (it still had the recorded digest). */
  reinstalled: string[];
  /** Stale leases deleted. */
  leases: number;
  /** The recovery pass run after the repairs (adopting the store copies of deleted rows). */
  recovery: RecoveryReport;
}

/**
 * Checks and repairs a data directory beyond what every start's recovery does: the database
 * file's own consistency, damaged rows, installed copies changed after their install (by
 * re-hashing every file), and leases left by killed processes.
 */
export class RegistryDoctor {
  constructor(
    private readonly db: Database,
    private readonly table: RegistryTable,
    private readonly layout: StoreLayout,
    private readonly leases: LeaseTable,
    /** Installs `source` again (the registry's `add`); returns whether it did. */
    private readonly reinstall: (source: string) => boolean,
  ) {}

  /** Re-hashes every installed directory and reports rows whose files no longer match their digest. */
  verify(): VerifyProblem[] {
    const problems: VerifyProblem[] = [];
    for (const record of this.table.list()) {
      if (record.dir === undefined || record.digest === undefined) continue;
      const problem = this.copyProblem(record.dir, record.digest, writablePaths(record.manifest));
      if (problem !== undefined) problems.push({ id: record.id, version: record.version, problem });
    }
    return problems;
  }

  /** Everything found wrong, without changing anything. */
  examine(): DoctorFindings {
    const database = (this.db.sql.pragma("quick_check") as Array<{ quick_check: string }>)
      .map((r) => r.quick_check)
      .filter((line) => line !== "ok");
    return {
      database,
      badRows: this.table.badRows(),
      tampered: this.verify(),
      staleLeases: this.table.keys().flatMap((k) => this.stale(k.id, k.version)),
    };
  }

  /** Repairs what {@link examine} finds (call on a writable registry, after its start-up recovery). */
  repair(): DoctorRepairs {
    const repairs: Omit<DoctorRepairs, "recovery"> = {
      deletedRows: [],
      quarantined: [],
      reinstalled: [],
      leases: 0,
    };
    const findings = this.examine();
    this.db.transaction(() => {
      for (const bad of findings.badRows) {
        this.table.delete(bad.id, bad.version);
        repairs.deletedRows.push(moduleKey(bad.id, bad.version));
      }
      for (const lease of findings.staleLeases) {
        this.leases.release(lease.id, lease.version, lease.pid);
        repairs.leases++;
      }
    });
    const sources = new Map<string, string>();
    for (const changed of findings.tampered) {
      const key = moduleKey(changed.id, changed.version);
      const row = this.table.get(changed.id, changed.version);
      if (row === undefined || isBadRow(row)) continue;
      this.db.transaction(() => {
        this.table.delete(changed.id, changed.version);
        const dir = this.layout.versionDir(changed.id, changed.version);
        if (this.layout.exists(dir)) this.layout.quarantine(dir, `${key}: ${changed.problem}`);
      });
      repairs.quarantined.push(key);
      if (row.digest !== undefined && this.sourceMatches(row.source, row.digest, writablePaths(row.manifest)))
        sources.set(key, row.source);
    }
    const recovery = recoverStore(this.table, this.layout, true);
    for (const [key, source] of sources) if (this.reinstall(source)) repairs.reinstalled.push(key);
    return { ...repairs, recovery };
  }

  private copyProblem(dir: string, digest: string, skip: ReadonlySet<string>): string | undefined {
    if (!this.layout.exists(dir)) return `${dir} is missing`;
    if (this.layout.readMarker(dir)?.digest !== digest) return "its completion marker does not match";
    try {
      return digestTree(dir, skip) === digest ? undefined : "its files do not match the recorded digest";
    } catch (err) {
      return `its files cannot be read as installed (${messageOf(err)})`;
    }
  }

  private sourceMatches(source: string, digest: string, skip: ReadonlySet<string>): boolean {
    try {
      return digestTree(source, skip) === digest;
    } catch {
      return false;
    }
  }

  private stale(id: string, version: string): Lease[] {
    return this.leases
      .of(id)
      .filter((l) => l.version === version && l.pid !== process.pid && !isOtherLiveProcess(l.pid));
  }
}

/** True when `findings` has nothing to report. */
export function isHealthy(findings: DoctorFindings): boolean {
  return (
    findings.database.length === 0 &&
    findings.badRows.length === 0 &&
    findings.tampered.length === 0 &&
    findings.staleLeases.length === 0
  );
}
