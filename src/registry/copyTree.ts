import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { hashEntry, walkTree } from "./digestTree.js";

/**
 * Copies a module tree (as `walkTree` lists it) into the new directory `target`, fsyncing every file
 * and directory, and returns the digest of exactly the bytes written (the source may be changing).
 */
export function copyTree(source: string, target: string): string {
  const hash = createHash("sha256");
  const dirs = [target];
  fs.mkdirSync(target, { recursive: true });
  for (const entry of walkTree(source)) {
    const destination = path.join(target, ...entry.rel.split("/"));
    if (entry.kind === "dir") {
      fs.mkdirSync(destination);
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

/** Writes a new file (failing if it exists) and fsyncs it before returning. */
export function writeFileDurably(file: string, content: Buffer | string): void {
  const fd = fs.openSync(file, "wx");
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
