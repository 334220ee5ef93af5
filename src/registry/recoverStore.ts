import { moduleKey } from "../vocabulary/moduleRef.js";
import type { RegistryTable } from "./RegistryTable.js";
import { isOtherLiveProcess, type StoreLayout } from "./StoreLayout.js";

/** What {@link recoverStore} found and did. Keys are `id@version`. */
export interface RecoveryReport {
  /** Interrupted installs finished: a committed row's complete staging copy was swapped in. */
  completed: string[];
  /** Staging copies thrown away (never committed, superseded, or incomplete). */
  discarded: number;
  /** Rows deleted because no complete copy with their digest exists anywhere. */
  dropped: string[];
  /** Store directories that no row referenced, moved away. */
  swept: string[];
  /** Trashed directories deleted. */
  emptied: number;
}

/**
 * Brings rows and store directories back in line after a crash at any point of an add or remove.
 * Runs under the database write lock, so no other process commits or swaps meanwhile; scratch
 * directories owned by another live process are left to that process. Rules:
 * 1. a staging copy whose marker matches a committed row that is not in place is swapped in;
 *    every other abandoned staging copy is discarded;
 * 2. a store directory without a row is removed;
 * 3. a row whose directory's marker does not match its digest (and that no live process is about
 *    to fix) is deleted;
 * 4. trashed directories of processes that are gone are deleted (outside the lock).
 */
export function recoverStore(table: RegistryTable, layout: StoreLayout): RecoveryReport {
  const report: RecoveryReport = { completed: [], discarded: 0, dropped: [], swept: [], emptied: 0 };
  table.database.transaction(() => {
    const pendingElsewhere = new Set<string>();
    for (const scratch of layout.scratchDirs("staging")) {
      const marker = layout.readMarker(scratch.dir);
      if (isOtherLiveProcess(scratch.pid)) {
        if (marker) pendingElsewhere.add(`${moduleKey(marker.id, marker.version)}#${marker.digest}`);
        continue;
      }
      const row = marker && table.get(marker.id, marker.version);
      if (marker && row?.digest === marker.digest) {
        const inPlace = layout.readMarker(layout.versionDir(marker.id, marker.version));
        if (inPlace?.digest !== marker.digest) {
          layout.swapIn(scratch.dir, marker.id, marker.version);
          report.completed.push(moduleKey(marker.id, marker.version));
          continue;
        }
      }
      layout.moveToTrash(scratch.dir);
      report.discarded++;
    }

    for (const installed of layout.installedDirs()) {
      if (table.get(installed.id, installed.version) !== undefined) continue;
      layout.moveToTrash(installed.dir);
      layout.pruneEmptyParents(installed.id);
      report.swept.push(moduleKey(installed.id, installed.version));
    }

    for (const row of table.list()) {
      if (row.digest === undefined) continue; // registered in code: nothing on disk
      const marker = layout.readMarker(layout.versionDir(row.id, row.version));
      if (marker?.digest === row.digest && marker.id === row.id && marker.version === row.version) continue;
      if (pendingElsewhere.has(`${moduleKey(row.id, row.version)}#${row.digest}`)) continue;
      table.delete(row.id, row.version);
      layout.moveToTrash(layout.versionDir(row.id, row.version));
      layout.pruneEmptyParents(row.id);
      report.dropped.push(moduleKey(row.id, row.version));
    }
  });
  report.emptied = emptyTrash(layout);
  return report;
}

/** Deletes the trashed directories of this process and of processes that are gone; returns how many. */
export function emptyTrash(layout: StoreLayout): number {
  let count = 0;
  for (const scratch of layout.scratchDirs("trash")) {
    if (isOtherLiveProcess(scratch.pid)) continue;
    layout.destroy(scratch.dir);
    count++;
  }
  return count;
}
