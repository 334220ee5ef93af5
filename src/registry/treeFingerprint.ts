import { createHash } from "node:crypto";
import fs from "node:fs";
import { walkTree } from "../common/walkTree.js";

/**
 * A sha256 of the metadata of every entry of a module tree (as `walkTree` lists it): kind,
 * relative path, size, inode, modification and change times in nanoseconds. Any change to a
 * file's content or metadata updates its change time, which no user-space call can set back, so
 * an unchanged fingerprint means unchanged files, at the cost of one `lstat` per entry instead of
 * reading every byte. `skip` as for `walkTree`.
 */
export function treeFingerprint(root: string, skip?: ReadonlySet<string>): string {
  const hash = createHash("sha256");
  for (const entry of walkTree(root, undefined, skip)) {
    const s = fs.lstatSync(entry.abs, { bigint: true });
    hash.update(`${entry.kind}\0${entry.rel}\0${s.size}\0${s.ino}\0${s.mtimeNs}\0${s.ctimeNs}\n`);
  }
  const top = fs.lstatSync(root, { bigint: true });
  hash.update(`root\0${top.ino}\0${top.mtimeNs}\0${top.ctimeNs}`);
  return hash.digest("hex");
}
