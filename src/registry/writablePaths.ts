import path from "node:path";
import type { ChipsetManifest } from "../vocabulary/manifest.js";

/**
 * The directories inside a module that its manifest lets it write (`permissions.fsWrite` paths
 * that stay inside it), "/"-separated and relative. They are not part of its installed code: `add`
 * neither copies nor digests them, and the load-time check does not hash what the module wrote.
 */
export function writablePaths(manifest: ChipsetManifest): ReadonlySet<string> {
  const paths = new Set<string>();
  for (const p of manifest.permissions?.fsWrite ?? []) {
    if (path.isAbsolute(p)) continue;
    const rel = path.posix.normalize(p.split(path.sep).join("/")).replace(/\/+$/, "");
    if (rel === "." || rel === ".." || rel.startsWith("../")) continue;
    paths.add(rel);
  }
  return paths;
}
