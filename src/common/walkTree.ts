import fs from "node:fs";
import path from "node:path";
import { ChipsetError, ErrorCodes } from "../errors/index.js";

/** Name of the completion marker written into an installed module directory (never digested). */
export const MARKER_FILE = ".chipset-digest";

/**
 * How big a module may be: every entry (file, directory or link) counts towards `maxEntries`,
 * every file's size towards `maxBytes`. A module's own node_modules/ counts too: Chipset's whole
 * development tree (typescript 6 at 140 files and 24 MB, vitest, eslint...) is 7,645 entries and
 * 136 MiB, so both limits leave room for a real module while bounding a runaway one.
 */
export interface TreeLimits {
  /** Most entries a module tree may hold. Default 10,000. */
  maxEntries: number;
  /** Most bytes its files may hold together (so also one file), in bytes. Default 256 MiB. */
  maxBytes: number;
}

/** The limits `add` applies (see {@link TreeLimits}). */
export const TREE_LIMITS: Readonly<TreeLimits> = Object.freeze({
  maxEntries: 10_000,
  maxBytes: 256 * 1024 * 1024,
});

// VCS data is not part of a module. A module's own node_modules/ is (its npm dependencies must
// resolve from the installed copy), except node_modules/chipset: the host links its own SDK.
const SKIPPED_DIRS = new Set([".git"]);
const SKIPPED_PATHS = new Set(["node_modules/chipset"]);

/** One file, directory or link of a module tree, in the deterministic order of {@link walkTree}. */
export type TreeEntry =
  | { kind: "dir"; rel: string; abs: string }
  | { kind: "file"; rel: string; abs: string; size: number }
  /** `target`: where the link leads, relative to the link's own directory, "/"-separated. */
  | { kind: "link"; rel: string; abs: string; target: string };

const NOTHING: ReadonlySet<string> = new Set();

/**
 * Lists a module tree depth-first in sorted order without following symbolic links, as
 * `npm pack` never packs through one. A link whose target lies inside the tree is listed as a
 * link (its target rewritten relative to it); one that leads outside is refused with
 * `CHIP_ERR_MANIFEST_INVALID`, naming it. Dangling links, FIFOs, sockets and devices are
 * skipped, as are `.git/`, `node_modules/chipset` and the root marker file. Throws
 * `CHIP_ERR_MANIFEST_INVALID` as soon as the tree passes `limits` (default {@link TREE_LIMITS}).
 */
export function walkTree(
  root: string,
  limits: TreeLimits = TREE_LIMITS,
  /** Relative paths left out with everything under them (a module's writable directories). */
  skip: ReadonlySet<string> = NOTHING,
): TreeEntry[] {
  const base = fs.realpathSync.native(root);
  const entries: TreeEntry[] = [];
  // The directories above a skipped path may be made for it later (`out/` of `out/logs`): they
  // are walked, but not listed themselves, so the listing is the same with or without them.
  const above = new Set<string>();
  for (const rel of skip)
    for (let at = path.posix.dirname(rel); at !== "."; at = path.posix.dirname(at)) above.add(at);
  let bytes = 0;
  const visit = (dir: string, prefix: string): void => {
    const dirents = fs.readdirSync(dir, { withFileTypes: true });
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of dirents) {
      const { name } = dirent;
      if (prefix === "" && name === MARKER_FILE) continue;
      const abs = path.join(dir, name);
      const rel = prefix === "" ? name : `${prefix}/${name}`;
      if (SKIPPED_PATHS.has(rel) || skip.has(rel)) continue;
      let entry: TreeEntry | undefined;
      if (dirent.isDirectory()) {
        if (SKIPPED_DIRS.has(name)) continue;
        entry = { kind: "dir", rel, abs };
      } else if (dirent.isFile()) {
        entry = { kind: "file", rel, abs, size: fs.lstatSync(abs).size };
      } else if (dirent.isSymbolicLink()) {
        if (SKIPPED_DIRS.has(name)) continue;
        entry = linkEntry(root, base, rel, abs);
      }
      if (entry === undefined) continue; // FIFO, socket, device, dangling link
      if (entry.kind === "dir" && above.has(rel)) {
        visit(abs, rel);
        continue;
      }
      entries.push(entry);
      if (entry.kind === "file") bytes += entry.size;
      checkLimits(root, limits, entries.length, bytes, entry);
      if (entry.kind === "dir") visit(abs, rel);
    }
  };
  visit(base, "");
  return entries;
}

/** The link at `abs` as an entry (target relative to it), undefined when dangling; refuses one leading outside. */
function linkEntry(root: string, base: string, rel: string, abs: string): TreeEntry | undefined {
  let real: string;
  try {
    // The system's realpath, not Node's JavaScript one: that one applies a target's ".." to the
    // text before resolving the link in front of it, so `up -> here/..` with `here -> .` would
    // pass as inside while the system follows it to the parent directory.
    real = fs.realpathSync.native(abs);
  } catch {
    return undefined; // dangling, or a loop: nothing to copy, as npm skips it
  }
  if (real !== base && !real.startsWith(base + path.sep)) {
    const written = fs.readlinkSync(abs);
    throw new ChipsetError(
      ErrorCodes.MANIFEST_INVALID,
      `${path.join(root, rel)} is a symbolic link to ${written}${written === real ? "" : ` (${real})`}, outside the module directory ${root}; ` +
        "Chipset never copies through such a link. Replace it by a copy of what it points to (for dependencies, `npm install --install-links`), or remove it.",
      { details: { file: path.join(root, rel), field: "", link: rel, target: real } },
    );
  }
  const inside = path.relative(base, real).split(path.sep).join("/");
  const from = path.posix.dirname(rel);
  const target = path.posix.relative(from === "." ? "" : from, inside) || ".";
  return { kind: "link", rel, abs, target };
}

function checkLimits(root: string, limits: TreeLimits, count: number, bytes: number, entry: TreeEntry): void {
  if (count > limits.maxEntries) {
    throw new ChipsetError(
      ErrorCodes.MANIFEST_INVALID,
      `${root} holds more than ${limits.maxEntries.toLocaleString("en-US")} files, directories and links (stopped at ${entry.rel}), ` +
        "more than a module may hold. Install it without what it does not need at run time (tests, build caches, dev dependencies: `npm prune --omit=dev`).",
      {
        details: { file: root, field: "", limit: "entries", maxEntries: limits.maxEntries, found: count },
      },
    );
  }
  if (bytes <= limits.maxBytes) return;
  const single = entry.kind === "file" && entry.size > limits.maxBytes;
  const what = single
    ? `${path.join(root, entry.rel)} is ${mib(entry.size)}; a module's files may hold at most ${mib(limits.maxBytes)} together`
    : `The files of ${root} hold more than ${mib(limits.maxBytes)} (at least ${mib(bytes)} by ${entry.rel}), more than a module may hold`;
  throw new ChipsetError(
    ErrorCodes.MANIFEST_INVALID,
    `${what}. Keep large data out of the module directory (read it from a path in the module's configuration), or remove what it does not need at run time.`,
    {
      details: {
        file: single ? path.join(root, entry.rel) : root,
        field: "",
        limit: "bytes",
        maxBytes: limits.maxBytes,
        found: single ? entry.size : bytes,
      },
    },
  );
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 1024 * 1024 ? 3 : 1)} MiB (${bytes.toLocaleString("en-US")} bytes)`;
}
