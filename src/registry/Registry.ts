import fs from "node:fs";
import path from "node:path";
import type { Clock } from "../common/Clock.js";
import { ChipsetError, ErrorCodes, messageOf } from "../errors/index.js";
import type { Database } from "../store/Database.js";
import { moduleKey } from "../vocabulary/moduleRef.js";
import { type ModuleRecord } from "../vocabulary/manifest.js";
import { RegistryTable, type DependencyEdge, type DependentEdge, type UsageEntry } from "./RegistryTable.js";
import { StoreLayout } from "./StoreLayout.js";
import { copyTree } from "./copyTree.js";
import { digestTree } from "./digestTree.js";
import { peekPackageIdentity, readPackageManifest, type PackageInfo } from "./readPackageManifest.js";
import { emptyTrash, recoverStore, type RecoveryReport } from "./recoverStore.js";

/** What {@link Registry} needs: the open database, the data directory, and a clock for timestamps. */
export interface RegistryOptions {
  db: Database;
  /** The data directory holding `chipset.db` and `store/`. */
  dataDir: string;
  clock: Clock;
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

/** One problem found by {@link Registry.verify}. */
export interface VerifyProblem {
  id: string;
  version: string;
  problem: string;
}

/**
 * The persistent catalogue of installed module versions: rows in SQLite, files under
 * `<dataDir>/store/<id>/<version>/`. Every method is synchronous. A process killed at any point
 * leaves a state that the constructor's {@link recover} turns consistent again.
 */
export class Registry {
  /** Absolute data directory. */
  readonly dataDir: string;
  /** What the constructor's recovery pass did. */
  readonly lastRecovery: RecoveryReport;

  private readonly db: Database;
  private readonly clock: Clock;
  private readonly layout: StoreLayout;
  private readonly table: RegistryTable;

  constructor(options: RegistryOptions) {
    this.dataDir = path.resolve(options.dataDir);
    this.db = options.db;
    this.clock = options.clock;
    this.layout = new StoreLayout(this.dataDir);
    this.table = new RegistryTable(this.db, (relative) => path.resolve(this.dataDir, relative));
    this.lastRecovery = this.recover();
  }

  /** Finishes or discards whatever an interrupted add or remove left behind (see `recoverStore`). */
  recover(): RecoveryReport {
    try {
      return recoverStore(this.table, this.layout);
    } catch (err) {
      throw storeFailed(`Cannot recover the module store at ${this.layout.root}`, err);
    }
  }

  /**
   * Validates the module in `dir`, copies it to `store/<id>/<version>/` and records it, atomically.
   * Identical content (same digest) is `"unchanged"` and writes nothing; changed content for a
   * registered version replaces it. Throws `CHIP_ERR_MANIFEST_INVALID` (nothing written) or
   * `CHIP_ERR_STORE_FAILED`.
   */
  add(dir: string, options: AddOptions = {}): AddResult {
    // Content already installed was validated when it was added: skip validation (and ajv) for it.
    const claimed = peekPackageIdentity(path.resolve(dir));
    const installed = claimed && this.table.get(claimed.name, claimed.version);
    if (installed !== undefined && installed.digest === this.digestSource(path.resolve(dir), claimed!.name)) {
      return { record: installed, status: "unchanged" };
    }
    const info = readPackageManifest(dir);
    const { name: id, version } = info.manifest;
    const existing = this.table.get(id, version);
    if (existing !== undefined && existing.digest === this.digestSource(info.dir, id)) {
      return { record: existing, status: "unchanged" };
    }

    let staging: string | undefined;
    let keepStaging = false;
    try {
      staging = this.layout.createStagingDir();
      const digest = copyTree(info.dir, staging);
      // Register what was copied, not what was read earlier: the source may have changed meanwhile.
      const staged = this.readStaged(staging, info.file);
      if (staged.manifest.name !== id || staged.manifest.version !== version)
        throw changedWhileAdding(info.file);
      const current = this.table.get(id, version);
      if (current !== undefined && current.digest === digest) return { record: current, status: "unchanged" };

      this.layout.writeMarker(staging, { id, version, digest });
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
      throw storeFailed(
        `Cannot install ${moduleKey(id, version)} from ${info.dir}`,
        err,
        moduleKey(id, version),
        hint,
      );
    } finally {
      if (staging !== undefined && !keepStaging) this.layout.destroy(staging);
      emptyTrash(this.layout);
    }
  }

  /**
   * Removes one version, or every version when `version` is omitted: rows first (one transaction),
   * then files. Returns the removed records. Throws `CHIP_ERR_MODULE_NOT_FOUND` when none match.
   */
  remove(id: string, version?: string): ModuleRecord[] {
    const targets = version === undefined ? this.table.versionsOf(id) : [this.require(id, version)];
    if (targets.length === 0) throw this.notFound(id, undefined);
    try {
      this.db.transaction(() => {
        for (const t of targets) this.table.delete(t.id, t.version);
      });
      // Under the write lock, so a concurrent re-add of the same version is never moved away.
      this.db.transaction(() => {
        for (const t of targets) {
          if (this.table.get(t.id, t.version) === undefined)
            this.layout.moveToTrash(this.layout.versionDir(t.id, t.version));
        }
        this.layout.pruneEmptyParents(id);
      });
      emptyTrash(this.layout);
    } catch (err) {
      throw storeFailed(`Cannot remove ${version === undefined ? id : moduleKey(id, version)}`, err, id);
    }
    return targets;
  }

  /** `id@version`, or the highest version of `id` by semver precedence when omitted; undefined if absent. */
  get(id: string, version?: string): ModuleRecord | undefined {
    if (version !== undefined) return this.table.get(id, version);
    return this.table.versionsOf(id)[0];
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
    this.table.recordUsage(id, count, this.clock.wallNow());
  }

  /** Usage counts, most used first (then most recently used); persisted across restarts. */
  usage(): UsageEntry[] {
    return this.table.usage();
  }

  /** Re-hashes every installed directory and reports rows whose files no longer match their digest. */
  verify(): VerifyProblem[] {
    const problems: VerifyProblem[] = [];
    for (const record of this.table.list()) {
      if (record.dir === undefined || record.digest === undefined) continue;
      if (!fs.existsSync(record.dir))
        problems.push({ id: record.id, version: record.version, problem: `${record.dir} is missing` });
      else if (this.layout.readMarker(record.dir)?.digest !== record.digest) {
        problems.push({
          id: record.id,
          version: record.version,
          problem: "its completion marker does not match",
        });
      } else if (digestTree(record.dir) !== record.digest) {
        problems.push({
          id: record.id,
          version: record.version,
          problem: "its files do not match the recorded digest",
        });
      }
    }
    return problems;
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
      const row = this.table.get(id, version);
      const marker = this.layout.readMarker(staging);
      if (row === undefined || marker === undefined || row.digest !== marker.digest) return;
      if (this.layout.readMarker(this.layout.versionDir(id, version))?.digest === row.digest) return;
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

  private digestSource(dir: string, id: string): string {
    try {
      return digestTree(dir);
    } catch (err) {
      if (err instanceof ChipsetError) throw err; // a link leading outside, the size limits
      throw storeFailed(`Cannot read the files of ${id} in ${dir}`, err, id);
    }
  }
}

function changedWhileAdding(file: string, cause?: unknown): ChipsetError {
  return new ChipsetError(
    ErrorCodes.MANIFEST_INVALID,
    `${file} changed while the module was being added${cause === undefined ? "" : ` (${messageOf(cause)})`}; add it again.`,
    { cause, details: { file, field: "" } },
  );
}

function storeFailed(what: string, cause: unknown, module?: string, hint = ""): ChipsetError {
  return new ChipsetError(
    ErrorCodes.STORE_FAILED,
    `${what}: ${messageOf(cause)}.${hint} Check that the data directory is writable and has free space.`,
    { cause, ...(module === undefined ? {} : { module }) },
  );
}
