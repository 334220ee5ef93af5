import path from "node:path";
import type { Clock } from "../common/Clock.js";
import { copyTree } from "../common/copyTree.js";
import { digestTree } from "../common/digestTree.js";
import { peekPackageIdentity } from "../common/packageIdentity.js";
import { ChipsetError } from "../errors/index.js";
import type { Database } from "../store/Database.js";
import { storeFailed } from "../store/storeFailed.js";
import type { ModuleRecord, PackageManifest } from "../vocabulary/manifest.js";
import { moduleKey } from "../vocabulary/moduleRef.js";
import { IntegrityCheck } from "./IntegrityCheck.js";
import type { LeaseTable } from "./LeaseTable.js";
import { readPackageManifest, type PackageInfo } from "./readPackageManifest.js";
import { emptyTrash } from "./recoverStore.js";
import { changedWhileAdding } from "./registryErrors.js";
import { isBadRow, type RegistryTable } from "./RegistryTable.js";
import type { StoreLayout } from "./StoreLayout.js";
import type { VerifiedTable } from "./VerifiedTable.js";
import { writablePaths } from "./writablePaths.js";

/** Options of `Registry.add`. */
export interface AddOptions {
  /** Where the module came from, recorded as-is. Default: the absolute source directory. */
  source?: string;
  /**
   * A check of a new or changed manifest against what else is registered (two modules' HTTP
   * triggers on one route), run before anything is written; it throws to refuse the module.
   */
  check?: (manifest: PackageManifest, file: string) => void;
}

/** The outcome of `Registry.add`: the row as stored, and whether anything changed. */
export interface AddResult {
  record: ModuleRecord;
  status: "added" | "replaced" | "unchanged";
}

/** The registry's parts an {@link Installer} writes through. */
export interface InstallerParts {
  db: Database;
  clock: Clock;
  layout: StoreLayout;
  table: RegistryTable;
  leases: LeaseTable;
  verified: VerifiedTable;
}

/**
 * The registry's two writers of the store: puts a module directory into `store/<id>/<version>/`
 * with its row, and takes versions out with theirs. Each step is ordered so that a process killed
 * anywhere leaves what `recoverStore` finishes or discards: a copy is staged, its row committed,
 * then swapped in; a removal moves files to the trash inside the transaction that deletes rows.
 * The `Registry` checks the request (read-only, what exists) before it calls here.
 */
export class Installer {
  constructor(private readonly parts: InstallerParts) {}

  /**
   * Validates the module in `dir`, copies it and records it (see `Registry.add`). Identical
   * content whose installed copy is intact is `"unchanged"` and writes nothing. Throws
   * `CHIP_ERR_MANIFEST_INVALID` (nothing written) or `CHIP_ERR_STORE_FAILED`.
   */
  install(dir: string, options: AddOptions): AddResult {
    const { db, clock, layout, table } = this.parts;
    // Content already installed was validated when it was added: skip validation (and ajv) for it.
    const source = path.resolve(dir);
    const claimed = peekPackageIdentity(source);
    const known =
      claimed &&
      this.installedAs(claimed.name, claimed.version, (installed) =>
        this.digestSource(source, claimed.name, writablePaths(installed.manifest)),
      );
    if (known) return { record: known, status: "unchanged" };
    const info = readPackageManifest(dir);
    options.check?.(info.manifest, info.file);
    const { name: id, version } = info.manifest;
    const writable = writablePaths(info.manifest.chipset);
    const existing = this.installedAs(id, version, () => this.digestSource(info.dir, id, writable));
    if (existing !== undefined) return { record: existing, status: "unchanged" };

    let staging: string | undefined;
    let keepStaging = false;
    try {
      staging = layout.createStagingDir();
      const digest = copyTree(info.dir, staging, undefined, writable);
      // Register what was copied, not what was read earlier: the source may have changed meanwhile.
      const staged = readStaged(staging, info.file);
      if (staged.manifest.name !== id || staged.manifest.version !== version)
        throw changedWhileAdding(info.file);
      const current = this.installedAs(id, version, () => digest);
      if (current !== undefined) return { record: current, status: "unchanged" };

      const record: ModuleRecord = {
        id,
        version,
        manifest: staged.manifest.chipset,
        dir: layout.versionDir(id, version),
        entry: staged.entry,
        digest,
        source: options.source ?? info.dir,
        installedAt: clock.wallNow(),
      };
      layout.writeMarker(staging, {
        id,
        version,
        digest,
        source: record.source,
        installedAt: record.installedAt,
      });
      const status = db.transaction(() => {
        const replaced = table.get(id, version) !== undefined;
        table.put(record, layout.relativeVersionDir(id, version));
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
      if (staging !== undefined && !keepStaging) layout.destroy(staging);
      emptyTrash(layout);
    }
  }

  /**
   * Deletes the rows of `versions` of `id` and moves their files to the trash in one transaction,
   * then empties the trash. Throws `CHIP_ERR_MODULE_IN_USE` (removing nothing) when a runtime in
   * another live process has one of them loaded, `CHIP_ERR_STORE_FAILED` naming `what` on failure.
   */
  uninstall(id: string, versions: readonly string[], what: string): void {
    const { db, layout, table, leases } = this.parts;
    try {
      db.transaction(() => {
        leases.refuseRemoval(id, versions);
        for (const v of versions) {
          table.delete(id, v);
          // Inside the transaction: a crash before the commit leaves the row with its files in
          // the trash, which recovery drops; never files without a row that recovery cannot tell
          // from a lost database.
          layout.moveToTrash(layout.versionDir(id, v));
        }
        layout.pruneEmptyParents(id);
      });
      emptyTrash(layout);
    } catch (err) {
      if (err instanceof ChipsetError) throw err;
      throw storeFailed(`Cannot remove ${what}`, err, { module: id });
    }
  }

  /**
   * The row of `id@version` when adding content of digest `digest(row)` would change nothing: the
   * row is readable (a damaged one is replaced), holds that digest, and its installed copy is intact
   * (a changed copy is replaced, so `add` repairs what the load-time check refuses).
   */
  private installedAs(
    id: string,
    version: string,
    digest: (installed: ModuleRecord) => string,
  ): ModuleRecord | undefined {
    const row = this.readable(id, version);
    return row !== undefined && row.digest === digest(row) && this.copyIntact(row) ? row : undefined;
  }

  /** True when the installed copy of `record` still holds what was installed (see `IntegrityCheck`). */
  private copyIntact(record: ModuleRecord): boolean {
    try {
      new IntegrityCheck(this.parts.verified).assertIntact(record);
      return true;
    } catch {
      return false;
    }
  }

  /** The row of `id@version` when it exists and can be read. */
  private readable(id: string, version: string): ModuleRecord | undefined {
    const row = this.parts.table.get(id, version);
    return row === undefined || isBadRow(row) ? undefined : row;
  }

  /** Swaps the committed staging copy in, unless another writer has superseded it or it is in place. */
  private settle(id: string, version: string, staging: string): void {
    const { db, layout } = this.parts;
    db.transaction(() => {
      const row = this.readable(id, version);
      const marker = layout.readMarker(staging);
      if (row === undefined || marker === undefined || row.digest !== marker.digest) return;
      const inPlace = layout.readMarker(layout.versionDir(id, version));
      if (inPlace?.digest === row.digest && this.copyIntact(row)) return;
      layout.swapIn(staging, id, version);
    });
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

/** The manifest of the staged copy; any failure to read it means the source changed under us. */
function readStaged(staging: string, file: string): PackageInfo {
  try {
    return readPackageManifest(staging);
  } catch (err) {
    throw changedWhileAdding(file, err);
  }
}
