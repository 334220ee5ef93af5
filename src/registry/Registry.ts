import path from "node:path";
import semver from "semver";
import type { Clock } from "../common/Clock.js";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import type { Database } from "../store/Database.js";
import { storeFailed } from "../store/storeFailed.js";
import { moduleKey } from "../vocabulary/moduleRef.js";
import { type ModuleRecord } from "../vocabulary/manifest.js";
import { LeaseTable } from "./LeaseTable.js";
import { badRowError, changedWhileAdding } from "./registryErrors.js";
import { VerifiedTable } from "./VerifiedTable.js";
import { IntegrityCheck } from "./IntegrityCheck.js";
import {
  isBadRow,
  RegistryTable,
  type BadRow,
  type DependencyEdge,
  type DependentEdge,
  type UsageEntry,
} from "./RegistryTable.js";
import { StoreLayout } from "./StoreLayout.js";
import { copyTree } from "../common/copyTree.js";
import { digestTree } from "../common/digestTree.js";
import { peekPackageIdentity } from "../common/packageIdentity.js";
import { writablePaths } from "./writablePaths.js";
import { readPackageManifest, type PackageInfo } from "./readPackageManifest.js";
import { emptyTrash, recoverStore, type RecoveryReport } from "./recoverStore.js";
import { RegistryDoctor, type VerifyProblem } from "./RegistryDoctor.js";

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

/** Options of {@link Registry.add}. */
export interface AddOptions {
  /** Where the module came from, recorded as-is. Default: the absolute source directory. */
  source?: string;
}

/** The outcome of {@link Registry.add}: the row as stored, and whether anything changed. */
export interface AddResult {
  record: ModuleRecord;
  status: "added" | "replaced" | "unchanged";
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

  constructor(options: RegistryOptions) {
    this.dataDir = path.resolve(options.dataDir);
    this.db = options.db;
    this.clock = options.clock;
    this.readOnly = options.readOnly ?? options.db.readOnly;
    this.layout = new StoreLayout(this.dataDir);
    this.table = new RegistryTable(this.db, (relative) => path.resolve(this.dataDir, relative));
    this.leases = new LeaseTable(this.db, this.clock, !this.readOnly);
    this.verified = new VerifiedTable(this.db, !this.readOnly);
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
   * whose installed copy changed since (`add` repairs a copy the load-time check refuses). Throws `CHIP_ERR_MANIFEST_INVALID` (nothing written) or
   * `CHIP_ERR_STORE_FAILED`.
   */
  add(dir: string, options: AddOptions = {}): AddResult {
    this.assertWritable(`add ${dir}`);
    // Content already installed was validated when it was added: skip validation (and ajv) for it.
    const claimed = peekPackageIdentity(path.resolve(dir));
    const installed = claimed && this.readable(claimed.name, claimed.version);
    if (
      installed !== undefined &&
      installed.digest ===
        this.digestSource(path.resolve(dir), claimed!.name, writablePaths(installed.manifest)) &&
      this.copyIntact(installed)
    ) {
      return { record: installed, status: "unchanged" };
    }
    const info = readPackageManifest(dir);
    const { name: id, version } = info.manifest;
    const writable = writablePaths(info.manifest.chipset);
    const existing = this.readable(id, version);
    if (
      existing !== undefined &&
      existing.digest === this.digestSource(info.dir, id, writable) &&
      this.copyIntact(existing)
    ) {
      return { record: existing, status: "unchanged" };
    }

    let staging: string | undefined;
    let keepStaging = false;
    try {
      staging = this.layout.createStagingDir();
      const digest = copyTree(info.dir, staging, undefined, writable);
      // Register what was copied, not what was read earlier: the source may have changed meanwhile.
      const staged = this.readStaged(staging, info.file);
      if (staged.manifest.name !== id || staged.manifest.version !== version)
        throw changedWhileAdding(info.file);
      const current = this.readable(id, version);
      if (current !== undefined && current.digest === digest && this.copyIntact(current))
        return { record: current, status: "unchanged" };

      const record: ModuleRecord = {
        id,
        version,
        manifest: staged.manifest.chipset,
        dir: this.layout.versionDir(id, version),
        entry: staged.entry,
        digest,
        source: options.source ?? info.dir,
        installedAt: this.clock.wallNow(),
      };
      this.layout.writeMarker(staging, {
        id,
        version,
        digest,
        source: record.source,
        installedAt: record.installedAt,
      });
      const status = this.db.transaction(() => {
        const replaced = this.table.get(id, version) !== undefined;
        this.table.put(record, this.layout.relativeVersionDir(id, version));
        return replaced ? "replaced" : "added";
      });
      // From here the row is committed: if the swap fails, the staging copy must survive so that
      // the next recovery can finish the job.
      keepStaging = true;
      this.settle(id, version, staging);
      keepStaging = false;
      return { record, status };
    } catch (err) {
      if (err instanceof ChipsetError) throw err;
      const hint = keepStaging
        ? " It is recorded; the next start of the registry finishes installing it."
        : "";
      throw storeFailed(`Cannot install ${moduleKey(id, version)} from ${info.dir}`, err, {
        module: moduleKey(id, version),
        hint,
      });
    } finally {
      if (staging !== undefined && !keepStaging) this.layout.destroy(staging);
      emptyTrash(this.layout);
    }
  }

  /**
   * Removes one version, or every version when `version` is omitted (damaged rows too): in one
   * transaction, each row is deleted and its files moved to the trash, then the trash is emptied.
   * Returns the removed versions, highest first. Throws `CHIP_ERR_MODULE_NOT_FOUND` when none
   * match, and `CHIP_ERR_MODULE_IN_USE` (removing nothing) when a runtime in another live process
   * has one of them loaded.
   */
  remove(id: string, version?: string): string[] {
    this.assertWritable(`remove ${version === undefined ? id : moduleKey(id, version)}`);
    const targets = this.table
      .keys()
      .filter((k) => k.id === id && (version === undefined || k.version === version))
      .map((k) => k.version);
    if (targets.length === 0) throw this.notFound(id, version);
    try {
      this.db.transaction(() => {
        this.leases.refuseRemoval(id, targets);
        for (const v of targets) {
          this.table.delete(id, v);
          // Inside the transaction: a crash before the commit leaves the row with its files in
          // the trash, which recovery drops; never files without a row that recovery cannot tell
          // from a lost database.
          this.layout.moveToTrash(this.layout.versionDir(id, v));
        }
        this.layout.pruneEmptyParents(id);
      });
      emptyTrash(this.layout);
    } catch (err) {
      if (err instanceof ChipsetError) throw err;
      throw storeFailed(`Cannot remove ${version === undefined ? id : moduleKey(id, version)}`, err, {
        module: id,
      });
    }
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

  /** True when the installed copy of `record` still holds what was installed (see `IntegrityCheck`). */
  private copyIntact(record: ModuleRecord): boolean {
    try {
      new IntegrityCheck(this.verified).assertIntact(record);
      return true;
    } catch {
      return false;
    }
  }

  /** The row of `id@version` when it exists and can be read (a damaged one is replaced by `add`). */
  private readable(id: string, version: string): ModuleRecord | undefined {
    const row = this.table.get(id, version);
    return row === undefined || isBadRow(row) ? undefined : row;
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

  /** Swaps the committed staging copy in, unless another writer has superseded it or it is in place. */
  private settle(id: string, version: string, staging: string): void {
    this.db.transaction(() => {
      const row = this.readable(id, version);
      const marker = this.layout.readMarker(staging);
      if (row === undefined || marker === undefined || row.digest !== marker.digest) return;
      const inPlace = this.layout.readMarker(this.layout.versionDir(id, version));
      if (inPlace?.digest === row.digest && this.copyIntact(row)) return;
      this.layout.swapIn(staging, id, version);
    });
  }

  private readStaged(staging: string, file: string): PackageInfo {
    try {
      return readPackageManifest(staging);
    } catch (err) {
      throw changedWhileAdding(file, err);
    }
  }

  private digestSource(dir: string, id: string, skip: ReadonlySet<string>): string {
    try {
      return digestTree(dir, skip);
    } catch (err) {
      if (err instanceof ChipsetError) throw err; // a link leading outside, the size limits
      throw storeFailed(`Cannot read the files of ${id} in ${dir}`, err, { module: id });
    }
  }
}
