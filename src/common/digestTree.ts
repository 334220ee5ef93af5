import { createHash, type Hash } from "node:crypto";
import fs from "node:fs";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { walkTree, type TreeEntry } from "./walkTree.js";

export { MARKER_FILE, TREE_LIMITS, walkTree, type TreeEntry, type TreeLimits } from "./walkTree.js";

/** Bytes read at a time: files are hashed (and copied) in chunks, never whole in memory. */
const CHUNK_BYTES = 256 * 1024;

// O_NOFOLLOW: a file swapped for a link since the walk is not followed. O_NONBLOCK: one swapped
// for a FIFO does not block the open; fstat then refuses it. Windows has neither.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

/**
 * Adds one entry to a tree digest: its kind, relative path, and a file's size and content or a
 * link's target. A file is read in chunks of 256 KiB, each also handed to `onChunk` (so a copy
 * writes exactly the bytes digested). Throws `CHIP_ERR_MANIFEST_INVALID` when a file stopped
 * being a regular file or shrank since the walk.
 */
export function hashEntry(hash: Hash, entry: TreeEntry, onChunk?: (chunk: Buffer) => void): void {
  if (entry.kind === "dir") {
    hash.update(`d\0${entry.rel}\0`);
    return;
  }
  if (entry.kind === "link") {
    hash.update(`l\0${entry.rel}\0${entry.target}\0`);
    return;
  }
  const fd = fs.openSync(entry.abs, OPEN_FLAGS);
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw changed(entry, "is no longer a regular file");
    hash.update(`f\0${entry.rel}\0${stat.size}\0`);
    const buffer = Buffer.allocUnsafe(Math.min(stat.size, CHUNK_BYTES));
    let done = 0;
    while (done < stat.size) {
      const n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, stat.size - done), done);
      if (n === 0) throw changed(entry, "shrank while it was read");
      const chunk = buffer.subarray(0, n);
      hash.update(chunk);
      onChunk?.(chunk);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The sha256 (hex) of a module tree as {@link walkTree} lists it: relative paths, file contents
 * and link targets, without the relative paths in `skip` (see `writablePaths`). Throws what `walkTree` throws (a link leading outside, the size limits).
 */
export function digestTree(root: string, skip?: ReadonlySet<string>): string {
  const hash = createHash("sha256");
  for (const entry of walkTree(root, undefined, skip)) hashEntry(hash, entry);
  return hash.digest("hex");
}

function changed(entry: TreeEntry, what: string): ChipsetError {
  return new ChipsetError(
    ErrorCodes.MANIFEST_INVALID,
    `${entry.abs} ${what}; the module directory changed while it was being read. Add it again once nothing writes to it.`,
    { details: { file: entry.abs, field: "" } },
  );
}
