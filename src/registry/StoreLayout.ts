import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { readRegularFile } from "../common/readRegularFile.js";
import { fsyncDir, STORE_DIR_MODE, writeFileDurably } from "../common/copyTree.js";
import { MARKER_FILE } from "../common/digestTree.js";

/** The content of a `.chipset-digest` marker: which module version a directory holds, completely. */
export interface StoreMarker {
  id: string;
  version: string;
  /** sha256 hex of the tree, as `digestTree` computes it. */
  digest: string;
  /** Where it was added from (so a lost database row can be rebuilt); absent in older markers. */
  source?: string;
  /** When it was added, ms since epoch; absent in older markers. */
  installedAt?: number;
}

/** A scratch directory under `.staging/` or `.trash/`, with the process that owns it. */
export interface ScratchDir {
  dir: string;
  /** Owning process id; undefined when the name is not one Chipset gives (`<pid>-<uuid>`): not ours. */
  pid: number | undefined;
}

/** A marker is a short JSON document; anything bigger is not one of Chipset's. */
const MAX_MARKER_BYTES = 64 * 1024;

/** The names Chipset gives its scratch directories: `<pid>-<uuid>`. */
const SCRATCH_NAME = /^(\d+)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Where installed module versions live under `<dataDir>/store/`: `<id>/<version>/` (scoped ids nest:
 * `@acme/x/1.0.0/`), copies in progress under `.staging/<pid>-<uuid>/`, doomed ones under `.trash/`.
 * What Chipset did not provably write is never deleted: it is moved to `<dataDir>/quarantine/`.
 */
export class StoreLayout {
  /** `<dataDir>/store`. */
  readonly root: string;
  /** Copies being made; a directory here becomes live only by an atomic rename. */
  readonly staging: string;
  /** Directories moved out of the way, deleted when no longer in use. */
  readonly trash: string;
  /** `<dataDir>/quarantine`: what recovery found in the store and could not prove it wrote. */
  readonly quarantineRoot: string;

  constructor(dataDir: string) {
    this.root = path.resolve(dataDir, "store");
    this.staging = path.join(this.root, ".staging");
    this.trash = path.join(this.root, ".trash");
    this.quarantineRoot = path.resolve(dataDir, "quarantine");
  }

  /** Directory of `id@version` relative to the data directory (as stored in the database). */
  relativeVersionDir(id: string, version: string): string {
    return ["store", ...id.split("/"), version].join("/");
  }

  /** Absolute directory of `id@version`. */
  versionDir(id: string, version: string): string {
    return path.join(this.root, ...id.split("/"), version);
  }

  /** Creates a fresh staging directory owned by this process. */
  createStagingDir(): string {
    fs.mkdirSync(this.staging, { recursive: true, mode: STORE_DIR_MODE });
    const dir = path.join(this.staging, `${process.pid}-${randomUUID()}`);
    fs.mkdirSync(dir, STORE_DIR_MODE);
    return dir;
  }

  /** The marker of `dir`, or undefined when it is missing or unreadable (an incomplete directory). */
  readMarker(dir: string): StoreMarker | undefined {
    try {
      // A regular file of a few KiB only: a FIFO planted as a marker must not block recovery.
      const text = readRegularFile(path.join(dir, MARKER_FILE), MAX_MARKER_BYTES);
      const value = JSON.parse(text) as Partial<StoreMarker>;
      if (
        typeof value.id === "string" &&
        typeof value.version === "string" &&
        typeof value.digest === "string"
      ) {
        return {
          id: value.id,
          version: value.version,
          digest: value.digest,
          ...(typeof value.source === "string" ? { source: value.source } : {}),
          ...(typeof value.installedAt === "number" ? { installedAt: value.installedAt } : {}),
        };
      }
    } catch {
      // missing or torn: not complete
    }
    return undefined;
  }

  /** Writes the marker last, then fsyncs the directory: from then on `dir` counts as complete. */
  writeMarker(dir: string, marker: StoreMarker): void {
    writeFileDurably(path.join(dir, MARKER_FILE), JSON.stringify(marker));
    fsyncDir(dir);
    fsyncDir(path.dirname(dir));
  }

  /** Atomically makes `from` (a complete staging copy) the directory of `id@version`, trashing any old one. */
  swapIn(from: string, id: string, version: string): void {
    const target = this.versionDir(id, version);
    this.moveToTrash(target);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: STORE_DIR_MODE });
    fs.renameSync(from, target);
    fsyncDir(path.dirname(target));
    fsyncDir(path.dirname(from));
  }

  /** Renames `dir` into `.trash/` (atomic); a missing `dir` is fine. Returns whether it moved. */
  moveToTrash(dir: string): boolean {
    fs.mkdirSync(this.trash, { recursive: true, mode: STORE_DIR_MODE });
    try {
      fs.renameSync(dir, path.join(this.trash, `${process.pid}-${randomUUID()}`));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
    fsyncDir(path.dirname(dir));
    return true;
  }

  /**
   * Moves `dir` (something in the store that Chipset cannot prove it wrote) to
   * `<dataDir>/quarantine/<time>-<pid>-<n>/`, beside a `.json` file saying where it was and why.
   * Returns the new path. Nothing is deleted: the operator decides.
   */
  quarantine(dir: string, reason: string): string {
    fs.mkdirSync(this.quarantineRoot, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const target = path.join(this.quarantineRoot, `${stamp}-${process.pid}-${randomUUID().slice(0, 8)}`);
    writeFileDurably(`${target}.json`, `${JSON.stringify({ from: dir, reason, at: Date.now() }, null, 2)}\n`);
    fs.renameSync(dir, target);
    fsyncDir(path.dirname(dir));
    fsyncDir(this.quarantineRoot);
    return target;
  }

  /** True when `dir` exists (as anything). */
  exists(dir: string): boolean {
    return fs.existsSync(dir);
  }

  /** When `dir` was last modified, ms since epoch (a lost row's best guess at its install time). */
  modifiedAt(dir: string): number {
    return Math.trunc(fs.statSync(dir).mtimeMs);
  }

  /** Deletes a scratch or trashed directory; a missing one is fine. */
  destroy(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Removes the now-empty parent directories of `id@version` (`<id>/`, and `@scope/` for scoped ids). */
  pruneEmptyParents(id: string): void {
    const parts = id.split("/");
    for (let n = parts.length; n > 0; n--) {
      try {
        fs.rmdirSync(path.join(this.root, ...parts.slice(0, n)));
      } catch {
        return; // not empty, or already gone
      }
    }
  }

  /** The entries of `.staging/` or `.trash/`. */
  scratchDirs(which: "staging" | "trash"): ScratchDir[] {
    const parent = which === "staging" ? this.staging : this.trash;
    return readDirNames(parent).map((name) => {
      const match = SCRATCH_NAME.exec(name);
      return { dir: path.join(parent, name), pid: match ? Number(match[1]) : undefined };
    });
  }

  /** Every `<id>/<version>/` directory present in the store, whether or not the database knows it. */
  installedDirs(): Array<{ id: string; version: string; dir: string }> {
    const found: Array<{ id: string; version: string; dir: string }> = [];
    const versionsOf = (id: string): void => {
      for (const version of readDirNames(path.join(this.root, ...id.split("/")))) {
        found.push({ id, version, dir: this.versionDir(id, version) });
      }
    };
    for (const name of readDirNames(this.root)) {
      // Not ids: scratch space, and node_modules/ (hosts link the SDK there for installed modules).
      if (name.startsWith(".") || name === "node_modules") continue;
      if (name.startsWith("@"))
        for (const sub of readDirNames(path.join(this.root, name))) versionsOf(`${name}/${sub}`);
      else versionsOf(name);
    }
    return found;
  }
}

/** True when `pid` names another live process. This process counts as not live: a registry's
 * operations are synchronous, so none of its own scratch directories can be in use when asked. */
export function isOtherLiveProcess(pid: number | undefined): boolean {
  if (pid === undefined || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readDirNames(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR")
      return [];
    throw err;
  }
}
