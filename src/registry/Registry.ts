import path from "node:path";
import semver from "semver";
import type { Clock } from "../common/Clock.js";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import type { Database } from "../store/Database.js";
import { storeFailed } from "../store/storeFailed.js";
import { moduleKey } from "../vocabulary/moduleRef.js";
import { type ModuleRecord } from "../vocabulary/manifest.js";
import { Installer, type AddOptions, type AddResult } from "./Installer.js";
import { LeaseTable } from "./LeaseTable.js";
import { badRowError } from "./registryErrors.js";
import { VerifiedTable } from "./VerifiedTable.js";
import {
  isBadRow,
  RegistryTable,
  type BadRow,
  type DependencyEdge,
  type DependentEdge,
  type UsageEntry,
} from "./RegistryTable.js";
import { StoreLayout } from "./StoreLayout.js";
import { recoverStore, type RecoveryReport } from "./recoverStore.js";
import { RegistryDoctor, type VerifyProblem } from "./RegistryDoctor.js";

export type { AddOptions, AddResult } from "./Installer.js";
export type { VerifyProblem } from "./RegistryDoctor.js";

/** What {@link Registry} needs: the open database, the data directory, and a clock for timestamps. */
export interface RegistryOptions {
  db: Database;
  /** The data directory holding `chipset.db` and `store/`. */
  dataDir: string;
  clock: Clock;
  /**
   * Never write to the data directory (default: the database's own `readOnly`): recovery only
   * reports what it would do, and `add`, `remove` and usage recording throw `CHIP_ERR_STORE_FAILED`.
   */
  readOnly?: boolean;
}

/**
 * The persistent catalogue of installed module versions: rows in SQLite, files under
 * `<dataDir>/store/<id>/<version>/`. Every method is synchronous. A process killed at any point
 * leaves a state that the constructor's {@link recover} turns consistent again.
 */
export class Registry {
  /** Absolute data directory. */
  readonly dataDir: string;
  /** What the constructor's recovery pass did (or, read-only, would do). */
  readonly lastRecovery: RecoveryReport;
  /** Opened read-only: nothing is written to the data directory. */
  readonly readOnly: boolean;
  /** Which runtime processes have which installed versions loaded (a `remove` elsewhere waits for them). */
  readonly leases: LeaseTable;
  /** Deeper checks and repairs of the data directory (`chipset doctor`). */
  readonly doctor: RegistryDoctor;
  /** Installed copies found intact by earlier runtimes (for the load-time check). */
  readonly verified: VerifiedTable;

  private readonly db: Database;
  private readonly clock: Clock;
  private readonly layout: StoreLayout;
  private readonly table: RegistryTable;
  private readonly installer: Installer;

  constructor(options: RegistryOptions) {
    this.dataDir = path.resolve(options.dataDir);
    this.db = options.db;
    this.clock = options.clock;
    this.readOnly = options.readOnly ?? options.db.readOnly;
    this.layout = new StoreLayout(this.dataDir);
    this.table = new RegistryTable(this.db, (relative) => path.resolve(this.dataDir, relative));
    this.leases = new LeaseTable(this.db, this.clock, !this.readOnly);
    this.verified = new VerifiedTable(this.db, !this.readOnly);
    this.installer = new Installer({
      db: this.db,
      clock: this.clock,
      layout: this.layout,
      table: this.table,
      leases: this.leases,
      verified: this.verified,
    });
    this.doctor = new RegistryDoctor(this.db, this.table, this.layout, this.leases, (source) => {
      try {
        this.add(source);
        return true;
      } catch {
        return false; // the source changed or went away: the operator adds a good copy
      }
    });
    this.lastRecovery = this.recover();
  }

  /**
   * A fresh, empty scratch directory under the store, owned by this process (`<pid>-<uuid>`):
   * recovery removes it if the process dies before it is used. For an update to fetch into.
   */
  scratchDir(): string {
    this.assertWritable("make a scratch directory");
    return this.layout.createStagingDir();
  }

  /**
   * Finishes or discards whatever an interrupted add or remove left behind, rebuilds rows the
   * database lost from the store, and quarantines what Chipset did not write (see `recoverStore`);
   * read-only, it only reports what it would do.
   */
  recover(): RecoveryReport {
    try {
      return recoverStore(this.table, this.layout, !this.readOnly);
    } catch (err) {
      throw storeFailed(`Cannot recover the module store at ${this.layout.root}`, err);
    }
  }

  /**
   * Validates the module in `dir`, copies it to `store/<id>/<version>/` and records it, atomically.
   * Identical content (same digest) whose installed copy is intact is `"unchanged"` and writes
   * nothing; changed content for a registered version replaces it, and so does identical content
   * whose installed copy changed since (`add` repairs a copy the load-time check refuses). Throws
   * `CHIP_ERR_MANIFEST_INVALID` (nothing written) or `CHIP_ERR_STORE_FAILED`.
   */
  add(dir: string, options: AddOptions = {}): AddResult {
    this.assertWritable(`add ${dir}`);
    return this.installer.install(dir, options);
  }

  /**
   * Removes one version, or every version when `version` is omitted (damaged rows too): in one
   * transaction, each row is deleted and its files moved to the trash, then the trash is emptied.
   * Returns the removed versions, highest first. Throws `CHIP_ERR_MODULE_NOT_FOUND` when none
   * match, and `CHIP_ERR_MODULE_IN_USE` (removing nothing) when a runtime in another live process
   * has one of them loaded.
   */
  remove(id: string, version?: string): string[] {
    const what = version === undefined ? id : moduleKey(id, version);
    this.assertWritable(`remove ${what}`);
    const targets = this.table
      .keys()
      .filter((k) => k.id === id && (version === undefined || k.version === version))
      .map((k) => k.version);
    if (targets.length === 0) throw this.notFound(id, version);
    this.installer.uninstall(id, targets, what);
    return targets.sort((a, b) =>
      semver.valid(a) && semver.valid(b) ? semver.rcompare(a, b) : a < b ? 1 : -1,
    );
  }

  /**
   * `id@version`, or the highest version of `id` by semver precedence when omitted; undefined if
   * absent. A damaged row throws `CHIP_ERR_STORE_CORRUPT` saying what is wrong and how to repair.
   */
  get(id: string, version?: string): ModuleRecord | undefined {
    if (version === undefined) return this.table.versionsOf(id)[0];
    const row = this.table.get(id, version);
    if (row !== undefined && isBadRow(row)) throw badRowError(row);
    return row;
  }

  /** The rows that cannot be read back (left out of every listing), with what is wrong with each. */
  badRows(): BadRow[] {
    return this.table.badRows();
  }

  /** Like {@link get}, but throws `CHIP_ERR_MODULE_NOT_FOUND` (saying how to list and add modules). */
  require(id: string, version?: string): ModuleRecord {
    const record = this.get(id, version);
    if (record !== undefined) return record;
    throw this.notFound(id, version);
  }

  /**
   * The registered versions of `id`, highest first by semver (so `[0]` is the one a lookup
   * without a version gets); empty when none. Every version list in Chipset has this order.
   */
  versions(id: string): string[] {
    return this.table.versionsOf(id).map((r) => r.version);
  }

  /** Every installed version of `id` as full records (one query), highest first. */
  recordsOf(id: string): ModuleRecord[] {
    return this.table.versionsOf(id);
  }

  /**
   * Every registered version (by id, then highest version first), optionally only of one `kind`
   * and/or matching `search`: words ANDed, each a prefix of a word of the id, description or keywords.
   */
  list(filter: { kind?: string; search?: string } = {}): ModuleRecord[] {
    return this.table.list(filter);
  }

  /** The modules `id@version` (highest when omitted) requires or optionally requires. */
  dependencies(id: string, version?: string): DependencyEdge[] {
    const record = this.require(id, version);
    return this.table.dependencies(record.id, record.version);
  }

  /** Every registered version that requires or optionally requires `id`, with the range it asks for. */
  dependents(id: string): DependentEdge[] {
    return this.table.dependents(id);
  }

  /** True when `id` (or `id@version`) is registered. */
  has(id: string, version?: string): boolean {
    return this.get(id, version) !== undefined;
  }

  /** Adds `count` (default 1, a positive integer) uses of `id`, stamped with the clock's wall time. */
  recordUsage(id: string, count = 1): void {
    this.assertWritable("record usage");
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new ChipsetError(
        ErrorCodes.OPTIONS_INVALID,
        `recordUsage("${id}", ${count}): count must be a positive integer.`,
        {
          module: id,
          details: { field: "count", expected: "a positive integer", found: count },
        },
      );
    }
    try {
      this.table.recordUsage(id, count, this.clock.wallNow());
    } catch (err) {
      throw storeFailed(`Cannot record the usage of ${id}`, err, { module: id, path: this.db.path });
    }
  }

  /** Usage counts, most used first (then most recently used); persisted across restarts. */
  usage(): UsageEntry[] {
    return this.table.usage();
  }

  /** Re-hashes every installed directory and reports rows whose files no longer match their digest. */
  verify(): VerifyProblem[] {
    return this.doctor.verify();
  }

  private assertWritable(what: string): void {
    if (!this.readOnly) return;
    throw new ChipsetError(
      ErrorCodes.STORE_FAILED,
      `Cannot ${what}: the registry at ${this.dataDir} was opened read-only. Open it without readOnly to change it.`,
      { details: { reason: "read-only", path: this.dataDir } },
    );
  }

  private notFound(id: string, version: string | undefined): ChipsetError {
    const available = this.versions(id);
    const what =
      version !== undefined && available.length > 0
        ? `Module "${id}" has no version ${version} (registered: ${available.join(", ")}).`
        : `Module "${version === undefined ? id : moduleKey(id, version)}" is not registered.`;
    return new ChipsetError(
      ErrorCodes.MODULE_NOT_FOUND,
      `${what} Run \`chipset ls\` to see the registered modules, or \`chipset add <dir>\` to register it.`,
      { module: version === undefined ? id : moduleKey(id, version), details: { id, version, available } },
    );
  }
}
