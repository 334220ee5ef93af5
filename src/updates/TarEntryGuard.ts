import path from "node:path";
import type { TreeLimits } from "../common/walkTree.js";
import type { PackageProblem } from "./sourceErrors.js";

/** The fields of a tar entry the guard looks at (node-tar's `ReadEntry` has them). */
export interface TarEntryFacts {
  /** The path in the archive, before the first segment (`package/`) is stripped. */
  readonly path: string;
  readonly type: string;
  readonly linkpath?: string;
  readonly size: number;
}

/** Why an entry is refused, with the entry's path. */
export interface RefusedEntry {
  readonly reason: PackageProblem;
  readonly entry: string;
  readonly what: string;
}

const FILES = new Set(["File", "OldFile", "ContiguousFile"]);

/**
 * Decides, entry by entry and before anything is written, whether a package tarball may be
 * extracted: paths stay inside (no absolute path, no `..`, nothing written through a link the
 * archive made), symbolic links lead inside, hard links join files the archive already holds,
 * no devices or FIFOs, and the entries and their bytes stay within `limits`. npm strips the
 * first path segment (`package/`), and so does the guard. node-tar has checks of its own
 * (it drops such entries with a warning); this one refuses the whole package instead, naming the
 * entry, as a package with such an entry was made to attack. A link whose target runs through
 * another link is resolved only on disk: the caller walks the extracted tree afterwards.
 */
export class TarEntryGuard {
  private entries = 0;
  private bytes = 0;
  private readonly links = new Set<string>();

  constructor(private readonly limits: TreeLimits) {}

  /** The problem with `entry`, or undefined when it may be written (`skip`: tar ignores it). */
  check(entry: TarEntryFacts): RefusedEntry | "skip" | undefined {
    const raw = entry.path;
    const refuse = (reason: PackageProblem, what: string): RefusedEntry => ({ reason, entry: raw, what });
    if (isAbsolute(raw) || segments(raw).includes(".."))
      return refuse("escapes", `its path ${JSON.stringify(raw)} leads outside the package directory`);
    const rel = strip(raw);
    if (rel === undefined) return "skip"; // the top folder's own header: tar skips it
    if (this.throughLink(rel))
      return refuse(
        "escapes",
        `${JSON.stringify(raw)} would be written through a symbolic link the archive made`,
      );
    if (++this.entries > this.limits.maxEntries)
      return refuse("too-large", `it holds more than ${this.limits.maxEntries} entries`);
    if (rel === "" && entry.type !== "Directory")
      return refuse("escapes", `${JSON.stringify(raw)} would replace the package directory itself`);
    if (entry.type === "Directory") return undefined;
    if (FILES.has(entry.type)) {
      this.bytes += entry.size;
      if (this.bytes > this.limits.maxBytes)
        return refuse(
          "too-large",
          `its files hold more than ${this.limits.maxBytes} bytes (at ${JSON.stringify(raw)})`,
        );
      this.links.delete(rel);
      return undefined;
    }
    if (entry.type === "SymbolicLink") return this.symlink(raw, rel, entry.linkpath ?? "", refuse);
    if (entry.type === "Link") return this.hardLink(raw, rel, entry.linkpath ?? "", refuse);
    return refuse("special-file", `${JSON.stringify(raw)} is a ${entry.type}, which a package may not hold`);
  }

  private symlink(
    raw: string,
    rel: string,
    target: string,
    refuse: (reason: PackageProblem, what: string) => RefusedEntry,
  ): RefusedEntry | undefined {
    const resolved = path.posix.normalize(
      path.posix.join(path.posix.dirname(rel), target.replaceAll("\\", "/")),
    );
    if (target === "" || isAbsolute(target) || resolved === ".." || resolved.startsWith("../"))
      return refuse(
        "link-outside",
        `${JSON.stringify(raw)} is a symbolic link to ${JSON.stringify(target)}, outside the package directory`,
      );
    this.links.add(rel);
    return undefined;
  }

  private hardLink(
    raw: string,
    rel: string,
    target: string,
    refuse: (reason: PackageProblem, what: string) => RefusedEntry,
  ): RefusedEntry | undefined {
    const inside = isAbsolute(target) || segments(target).includes("..") ? undefined : strip(target);
    // A hard link to a symbolic link copies the link elsewhere, where its relative target may lead outside.
    if (inside === undefined || inside === "" || this.throughLink(inside) || this.links.has(inside))
      return refuse(
        "link-outside",
        `${JSON.stringify(raw)} is a hard link to ${JSON.stringify(target)}, not a file inside the package`,
      );
    this.links.delete(rel);
    return undefined;
  }

  /** True when a parent directory of `rel` is a symbolic link this archive made. */
  private throughLink(rel: string): boolean {
    for (let at = path.posix.dirname(rel); at !== "." && at !== ""; at = path.posix.dirname(at))
      if (this.links.has(at)) return true;
    return false;
  }
}

function segments(p: string): string[] {
  return p.replaceAll("\\", "/").split("/");
}

function isAbsolute(p: string): boolean {
  return p.startsWith("/") || p.startsWith("\\") || /^[A-Za-z]:/.test(p);
}

/** The path without its first segment, as tar's `strip: 1` makes it; undefined when nothing is left. */
function strip(p: string): string | undefined {
  const parts = segments(p);
  if (parts.length < 2) return undefined;
  return path.posix.normalize(parts.slice(1).join("/")).replace(/\/$/, "").replace(/^\.$/, "");
}
