import { messageOf } from "../errors/index.js";
import { moduleKey } from "../vocabulary/moduleRef.js";
import type { ModuleRecord } from "../vocabulary/manifest.js";
import { digestTree } from "../common/digestTree.js";
import { writablePaths } from "./writablePaths.js";
import { readPackageManifest } from "./readPackageManifest.js";
import type { RegistryTable, RowKey } from "./RegistryTable.js";
import { isOtherLiveProcess, type StoreLayout, type StoreMarker } from "./StoreLayout.js";

/** Something in the store that Chipset could not prove it wrote, moved aside (or to be). */
export interface QuarantineEntry {
  /** Where it was found. */
  path: string;
  /** Why it is not Chipset's, in a sentence. */
  reason: string;
  /** Where it was moved under `<dataDir>/quarantine/`; absent when recovery only looked. */
  movedTo?: string;
}

/**
 * What {@link recoverStore} found, and did (`applied`) or would do. Keys are `id@version`.
 */
export interface RecoveryReport {
  /** False when the recovery only looked (a read-only command): nothing below was done yet. */
  applied: boolean;
  /** Interrupted installs finished: a committed row's complete staging copy was swapped in. */
  completed: string[];
  /** Staging copies thrown away (never committed, superseded, or incomplete). */
  discarded: number;
  /** Copies brought back from the trash: a remove that crashed before its commit, undone. */
  restored: string[];
  /** Rows rebuilt from complete store copies that the database did not know (a lost or emptied database). */
  adopted: string[];
  /** Rows deleted because no complete copy of them exists anywhere. */
  dropped: string[];
  /** What was found in the store without Chipset's marker, moved to `<dataDir>/quarantine/`. */
  quarantined: QuarantineEntry[];
  /** Entries recovery could not handle (each is skipped; the rest goes on). */
  failed: Array<{ path: string; message: string }>;
  /** Trashed directories deleted. */
  emptied: number;
}

/** True when `report` found anything to do or report. */
export function recoveryHasFindings(report: RecoveryReport): boolean {
  return (
    report.completed.length +
      report.discarded +
      report.restored.length +
      report.adopted.length +
      report.dropped.length +
      report.quarantined.length +
      report.failed.length >
    0
  );
}

/**
 * Brings rows and store directories back in line after a crash at any point of an add or
 * remove, or a lost database. With `act` it runs under the database write lock, so no other
 * process commits or swaps meanwhile; without, it only reports what it would do (nothing is
 * written). Scratch directories of another live process are left to it. Only what carries
 * Chipset's own mark is ever deleted: a marker naming the directory's module version, or a
 * scratch name `<pid>-<uuid>`; everything else is quarantined. Rules:
 * 1. a staging copy whose marker matches a committed row that is not in place is swapped in;
 *    every other abandoned staging copy is discarded;
 * 2. a store directory without a row whose marker names it and whose files match is adopted
 *    (its row is rebuilt from its package.json); one without such a marker is quarantined;
 * 3. a row whose directory's marker does not match its digest (and that no live process is about
 *    to fix) gets its copy back from the trash (a remove that crashed before its commit), is
 *    rebuilt from that directory when it holds another complete copy, else is deleted;
 * 4. trashed directories of processes that are gone are deleted (outside the lock).
 * An error on one entry is reported in `failed` and recovery goes on with the next.
 */
export function recoverStore(table: RegistryTable, layout: StoreLayout, act: boolean): RecoveryReport {
  const report: RecoveryReport = {
    applied: act,
    completed: [],
    discarded: 0,
    restored: [],
    adopted: [],
    dropped: [],
    quarantined: [],
    failed: [],
    emptied: 0,
  };
  const db = table.database;
  const each = (where: string, fn: () => void): void => {
    try {
      // A savepoint per entry: a failure undoes that entry's rows only.
      if (act) db.transaction(fn);
      else fn();
    } catch (err) {
      report.failed.push({ path: where, message: messageOf(err) });
    }
  };
  const quarantine = (dir: string, reason: string): void => {
    report.quarantined.push({
      path: dir,
      reason,
      ...(act ? { movedTo: layout.quarantine(dir, reason) } : {}),
    });
  };

  const pass = (): void => {
    const rows = new Map<string, RowKey>(table.keys().map((k) => [moduleKey(k.id, k.version), k]));
    const pendingElsewhere = new Set<string>();
    for (const scratch of layout.scratchDirs("staging")) {
      each(scratch.dir, () => {
        if (scratch.pid === undefined)
          return quarantine(scratch.dir, "it is not a staging copy Chipset made");
        const marker = layout.readMarker(scratch.dir);
        if (isOtherLiveProcess(scratch.pid)) {
          if (marker) pendingElsewhere.add(`${moduleKey(marker.id, marker.version)}#${marker.digest}`);
          return;
        }
        const row = marker && rows.get(moduleKey(marker.id, marker.version));
        if (marker && row?.digest === marker.digest) {
          const inPlace = layout.readMarker(layout.versionDir(marker.id, marker.version));
          if (inPlace?.digest !== marker.digest) {
            if (act) layout.swapIn(scratch.dir, marker.id, marker.version);
            report.completed.push(moduleKey(marker.id, marker.version));
            return;
          }
        }
        if (act) layout.moveToTrash(scratch.dir);
        report.discarded++;
      });
    }

    for (const installed of layout.installedDirs()) {
      const key = moduleKey(installed.id, installed.version);
      if (rows.has(key)) continue;
      each(installed.dir, () => {
        const marker = ownMarker(layout, installed.id, installed.version);
        const problem = marker === undefined ? "it has no Chipset marker naming it" : adopt(marker);
        if (problem !== undefined) {
          quarantine(installed.dir, problem);
          if (act) layout.pruneEmptyParents(installed.id);
        }
      });
    }

    const trashed = new Map<string, string>();
    for (const scratch of layout.scratchDirs("trash")) {
      if (scratch.pid === undefined || isOtherLiveProcess(scratch.pid)) continue;
      const marker = layout.readMarker(scratch.dir);
      if (marker) trashed.set(`${moduleKey(marker.id, marker.version)}#${marker.digest}`, scratch.dir);
    }

    for (const row of rows.values()) {
      if (row.digest === undefined) continue; // registered in code: nothing on disk
      const key = moduleKey(row.id, row.version);
      const dir = layout.versionDir(row.id, row.version);
      const marker = ownMarker(layout, row.id, row.version);
      if (marker?.digest === row.digest) continue;
      if (pendingElsewhere.has(`${key}#${row.digest}`)) continue;
      const inTrash = trashed.get(`${key}#${row.digest}`);
      if (inTrash !== undefined && marker === undefined) {
        each(dir, () => {
          if (layout.exists(dir))
            quarantine(dir, `it was recorded as ${key} but has no Chipset marker naming it`);
          if (act) layout.swapIn(inTrash, row.id, row.version);
          report.restored.push(key);
        });
        continue;
      }
      each(dir, () => {
        // Another complete copy of this version in place: the row follows the files.
        const problem = marker === undefined ? `it has no Chipset marker naming ${key}` : adopt(marker);
        if (problem === undefined) return;
        if (act) table.delete(row.id, row.version);
        report.dropped.push(key);
        if (layout.exists(dir)) quarantine(dir, problem);
        if (act) layout.pruneEmptyParents(row.id);
      });
    }

    for (const scratch of layout.scratchDirs("trash")) {
      if (scratch.pid !== undefined) continue;
      each(scratch.dir, () => quarantine(scratch.dir, "it is not a directory Chipset moved to the trash"));
    }
  };

  /** Rebuilds the row of the complete copy `marker` describes; returns why it cannot, if so. */
  const adopt = (marker: StoreMarker): string | undefined => {
    const dir = layout.versionDir(marker.id, marker.version);
    let info;
    try {
      info = readPackageManifest(dir);
    } catch (err) {
      return messageOf(err);
    }
    let digest: string;
    try {
      digest = digestTree(dir, writablePaths(info.manifest.chipset));
    } catch (err) {
      return `its files cannot be read as installed (${messageOf(err)})`;
    }
    if (digest !== marker.digest) return "its files no longer match the digest in its marker";
    if (info.manifest.name !== marker.id || info.manifest.version !== marker.version)
      return `its package.json names ${moduleKey(info.manifest.name, info.manifest.version)}, not ${moduleKey(marker.id, marker.version)}`;
    const record: ModuleRecord = {
      id: marker.id,
      version: marker.version,
      manifest: info.manifest.chipset,
      dir,
      entry: info.entry,
      digest: marker.digest,
      source: marker.source ?? dir,
      installedAt: marker.installedAt ?? layout.modifiedAt(dir),
    };
    if (act) table.put(record, layout.relativeVersionDir(marker.id, marker.version));
    report.adopted.push(moduleKey(marker.id, marker.version));
    return undefined;
  };

  if (act) db.transaction(pass);
  else pass();
  report.emptied = emptyTrash(layout, act);
  return report;
}

/** The marker of `id@version`'s store directory, when it names exactly that version. */
function ownMarker(layout: StoreLayout, id: string, version: string): StoreMarker | undefined {
  const marker = layout.readMarker(layout.versionDir(id, version));
  return marker?.id === id && marker.version === version ? marker : undefined;
}

/**
 * Deletes the trashed directories (named by Chipset) of this process and of processes that are
 * gone; returns how many (with `act` false: how many it would).
 */
export function emptyTrash(layout: StoreLayout, act = true): number {
  let count = 0;
  for (const scratch of layout.scratchDirs("trash")) {
    if (scratch.pid === undefined || isOtherLiveProcess(scratch.pid)) continue;
    if (act) layout.destroy(scratch.dir);
    count++;
  }
  return count;
}
