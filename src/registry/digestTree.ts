import { createHash, type Hash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Name of the completion marker written into an installed module directory (never digested). */
export const MARKER_FILE = ".chipset-digest";

// VCS data is not part of a module. A module's own node_modules/ is (its npm dependencies must
// resolve from the installed copy), except node_modules/chipset: the host links its own SDK.
const SKIPPED_DIRS = new Set([".git"]);
const SKIPPED_PATHS = new Set(["node_modules/chipset"]);

/** One file or directory of a module tree, in the deterministic order of {@link walkTree}. */
export interface TreeEntry {
  /** Path relative to the root, "/"-separated. */
  rel: string;
  /** Absolute path. */
  abs: string;
  kind: "file" | "dir";
}

/**
 * Lists a module tree depth-first in sorted order, following symbolic links (a link cycle is cut),
 * skipping `.git/`, `node_modules/chipset/`, the root marker file and anything that is not a file or directory.
 */
export function walkTree(root: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  const visiting = new Set<string>();
  const visit = (dir: string, prefix: string): void => {
    const real = fs.realpathSync(dir);
    if (visiting.has(real)) return;
    visiting.add(real);
    const names = fs.readdirSync(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      if (prefix === "" && name === MARKER_FILE) continue;
      const abs = path.join(dir, name);
      const rel = prefix === "" ? name : `${prefix}/${name}`;
      let stat: fs.Stats;
      try {
        stat = fs.statSync(abs);
      } catch {
        continue; // a dangling link
      }
      if (stat.isDirectory()) {
        if (SKIPPED_DIRS.has(name) || SKIPPED_PATHS.has(rel)) continue;
        entries.push({ rel, abs, kind: "dir" });
        visit(abs, rel);
      } else if (stat.isFile()) {
        entries.push({ rel, abs, kind: "file" });
      }
    }
    visiting.delete(real);
  };
  visit(root, "");
  return entries;
}

/** Adds one entry to a tree digest: its kind, relative path, size and content. */
export function hashEntry(hash: Hash, entry: TreeEntry, content?: Buffer): void {
  if (entry.kind === "dir") {
    hash.update(`d\0${entry.rel}\0`);
    return;
  }
  const data = content ?? fs.readFileSync(entry.abs);
  hash.update(`f\0${entry.rel}\0${data.length}\0`);
  hash.update(data);
}

/** The sha256 (hex) of a module tree: relative paths and file contents, as {@link walkTree} lists them. */
export function digestTree(root: string): string {
  const hash = createHash("sha256");
  for (const entry of walkTree(root)) hashEntry(hash, entry);
  return hash.digest("hex");
}
