import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { TREE_LIMITS, hashEntry, walkTree, type TreeLimits } from "./digestTree.js";

/**
 * The mode of the store's directories and files (before the umask, which can only narrow it):
 * readable by every user, writable by the owner alone, so a module running as another user (a
 * sandboxed one, where the machine allows) can read its code and cannot change anyone's.
 */
export const STORE_DIR_MODE = 0o755;
/** See {@link STORE_DIR_MODE}. */
export const STORE_FILE_MODE = 0o644;

/**
 * Copies a module tree (as `walkTree` lists it: links kept only when they stay inside, never
 * followed) into the new directory `target`, fsyncing every file and directory, and returns the
 * digest of exactly what was written (the source may be changing). Files are streamed in chunks;
 * `limits` (default `TREE_LIMITS`) are checked while walking, before anything is copied, and again
 * on the bytes actually read (`CHIP_ERR_MANIFEST_INVALID`).
 */
export function copyTree(
  source: string,
  target: string,
  limits: TreeLimits = TREE_LIMITS,
  /** Relative paths neither copied nor digested (the module's writable directories). */
  skip?: ReadonlySet<string>,
): string {
  const hash = createHash("sha256");
  const dirs = [target];
  fs.mkdirSync(target, { recursive: true, mode: STORE_DIR_MODE });
  let bytes = 0;
  for (const entry of walkTree(source, limits, skip)) {
    const destination = path.join(target, ...entry.rel.split("/"));
    // A directory above a writable one is not listed (see walkTree's `skip`): made here.
    if (entry.kind !== "dir" && !fs.existsSync(path.dirname(destination))) {
      fs.mkdirSync(path.dirname(destination), { recursive: true, mode: STORE_DIR_MODE });
      dirs.push(path.dirname(destination));
    }
    if (entry.kind === "dir") {
      fs.mkdirSync(destination, STORE_DIR_MODE);
      dirs.push(destination);
      hashEntry(hash, entry);
    } else if (entry.kind === "link") {
      // The target is relative and inside the tree, so the copy's link stays inside the copy.
      fs.symlinkSync(entry.target, destination, isDirLink(entry.abs) ? "dir" : "file");
      hashEntry(hash, entry);
    } else {
      const fd = fs.openSync(destination, "wx", STORE_FILE_MODE);
      try {
        hashEntry(hash, entry, (chunk) => {
          bytes += chunk.length;
          if (bytes > limits.maxBytes) throw grew(source, limits.maxBytes, bytes);
          fs.writeSync(fd, chunk);
        });
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
  }
  for (const dir of dirs.reverse()) fsyncDir(dir);
  return hash.digest("hex");
}

/** Writes a new file (failing if it exists), mode {@link STORE_FILE_MODE}, and fsyncs it before returning. */
export function writeFileDurably(file: string, content: Buffer | string): void {
  const fd = fs.openSync(file, "wx", STORE_FILE_MODE);
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Flushes a directory's entries (new names, renames) to disk; a no-op where unsupported. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch (err) {
    // Windows cannot open or fsync a directory; the rename is as durable as the platform allows.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "EISDIR" && code !== "EINVAL" && code !== "EACCES") throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Windows needs to know whether a link is to a directory; elsewhere the type is ignored. */
function isDirLink(abs: string): boolean {
  try {
    return fs.statSync(abs).isDirectory();
  } catch {
    return false;
  }
}

function grew(source: string, maxBytes: number, bytes: number): ChipsetError {
  return new ChipsetError(
    ErrorCodes.MANIFEST_INVALID,
    `The files of ${source} grew past ${maxBytes.toLocaleString("en-US")} bytes while they were copied (${bytes.toLocaleString("en-US")} read), more than a module may hold. Add it again once nothing writes to it.`,
    { details: { file: source, field: "", limit: "bytes", maxBytes, found: bytes } },
  );
}
