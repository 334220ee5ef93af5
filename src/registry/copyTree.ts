import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { hashEntry, walkTree } from "./digestTree.js";

/**
 * The mode of the store's directories and files (before the umask, which can only narrow it):
 * readable by every user, writable by the owner alone, so a module running as another user (a
 * sandboxed one, where the machine allows) can read its code and cannot change anyone's.
 */
export const STORE_DIR_MODE = 0o755;
/** See {@link STORE_DIR_MODE}. */
export const STORE_FILE_MODE = 0o644;

/**
 * Copies a module tree (as `walkTree` lists it) into the new directory `target`, fsyncing every file
 * and directory, and returns the digest of exactly the bytes written (the source may be changing).
 */
export function copyTree(source: string, target: string): string {
  const hash = createHash("sha256");
  const dirs = [target];
  fs.mkdirSync(target, { recursive: true, mode: STORE_DIR_MODE });
  for (const entry of walkTree(source)) {
    const destination = path.join(target, ...entry.rel.split("/"));
    if (entry.kind === "dir") {
      fs.mkdirSync(destination, STORE_DIR_MODE);
      dirs.push(destination);
      hashEntry(hash, entry);
      continue;
    }
    const content = fs.readFileSync(entry.abs);
    writeFileDurably(destination, content);
    hashEntry(hash, entry, content);
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
