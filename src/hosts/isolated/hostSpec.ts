import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { packageRoot } from "../sdkLink.js";
import type { IsolatedKind } from "./Channel.js";
import type { HostPermissions } from "./processArgs.js";

/** What kind of host a module needs. The default (no limit, no permissions) comes from the warm pool. */
export interface HostSpec {
  isolation: IsolatedKind;
  /** Heap limit of a worker, or heap and resident-memory limit of a process, in MiB. */
  memoryMb?: number;
  /** The permission model's grants, complete (see {@link moduleHostSpec}); process hosts only. */
  permissions?: HostPermissions;
  /** The most processes and threads of a sandboxed host (one with `permissions`), where a cgroup can enforce it. */
  pids?: number;
}

/** True when a host for this spec comes from the warm pool: no memory limit and no permissions. */
export function isPooled(spec: { memoryMb?: number | undefined; permissions?: object | undefined }): boolean {
  return spec.memoryMb === undefined && spec.permissions === undefined;
}

/**
 * The spec of the host for the module whose entry is `file`. With `permissions`, the child
 * may also read what it needs to run: the module's package directory (its code and its own
 * node_modules), chipset's package (the child entry and the SDK) and the
 * `node_modules/chipset` link through which the module imports `chipset/module` (Node's
 * resolver stats the link itself before following it to chipset's package). `pids` (the
 * manifest's `limits.pids`) is kept only for such a sandboxed host.
 */
export function moduleHostSpec(
  isolation: IsolatedKind,
  file: string,
  memoryMb: number | undefined,
  permissions: HostPermissions | undefined,
  pids?: number,
): HostSpec {
  const spec: HostSpec = { isolation };
  if (memoryMb !== undefined) spec.memoryMb = memoryMb;
  if (permissions !== undefined) {
    if (pids !== undefined) spec.pids = pids;
    const dir = packageDir(file);
    const sdkLink = findSdkLink(dir);
    spec.permissions = {
      ...permissions,
      fsRead: [dir, packageRoot(), ...(sdkLink === undefined ? [] : [sdkLink]), ...permissions.fsRead],
    };
  }
  return spec;
}

/** The nearest directory at or above `file` holding a package.json (else the file's directory). */
function packageDir(file: string): string {
  for (let dir = dirname(file); ;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return dirname(file);
    dir = parent;
  }
}

/** The `node_modules/chipset` that `import "chipset/module"` from `dir` resolves through, if any. */
function findSdkLink(dir: string): string | undefined {
  for (let at = dir; ;) {
    const link = join(at, "node_modules", "chipset");
    if (existsSync(link)) return link;
    const parent = dirname(at);
    if (parent === at) return undefined;
    at = parent;
  }
}
