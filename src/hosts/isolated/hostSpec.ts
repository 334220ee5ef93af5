import { existsSync, lstatSync } from "node:fs";
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
  /** The CPU quota of a sandboxed host, in % of one CPU, where a cgroup can enforce it. */
  cpuPercent?: number;
}

/** True when a host for this spec comes from the warm pool: no memory limit and no permissions. */
export function isPooled(spec: { memoryMb?: number | undefined; permissions?: object | undefined }): boolean {
  return spec.memoryMb === undefined && spec.permissions === undefined;
}

/**
 * The spec of the host for the module whose entry is `file`. With `permissions`, the child
 * may also read exactly what it needs to run: the module's package directory (its code and
 * its own node_modules), chipset's `dist/` (the child entry and the SDK), chipset's
 * package.json, and the SDK package (`node_modules/chipset`, see `linkSdk`) through which the
 * module imports `chipset/module`. Nothing else of chipset's package root: in a checkout it
 * holds data directories and their `chipset.db`. `pids` and `cpuPercent` (the manifest's
 * `limits.pids` and `limits.cpuPercent`) are kept only for such a sandboxed host.
 */
export function moduleHostSpec(
  isolation: IsolatedKind,
  file: string,
  memoryMb: number | undefined,
  permissions: HostPermissions | undefined,
  pids?: number,
  cpuPercent?: number,
): HostSpec {
  const spec: HostSpec = { isolation };
  if (memoryMb !== undefined) spec.memoryMb = memoryMb;
  if (permissions !== undefined) {
    if (pids !== undefined) spec.pids = pids;
    if (cpuPercent !== undefined) spec.cpuPercent = cpuPercent;
    spec.permissions = { ...permissions, fsRead: runtimeReads(file, permissions.fsRead) };
  }
  return spec;
}

/** `granted` and what the child host of the module whose entry is `file` reads to run it. */
function runtimeReads(file: string, granted: readonly string[]): string[] {
  const root = packageRoot();
  const sdk = findSdkPackage(packageDir(file));
  return [
    packageDir(file),
    join(root, "dist"),
    join(root, "package.json"),
    ...(sdk === undefined ? [] : [sdk]),
    ...granted,
  ];
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

/**
 * The `node_modules/chipset` that `import "chipset/module"` from `dir` resolves through, if it
 * is a directory of its own. A link (an older layout, or one made by hand) is not granted: the
 * permission model would let the module read everything under its target.
 */
function findSdkPackage(dir: string): string | undefined {
  for (let at = dir; ;) {
    const sdk = join(at, "node_modules", "chipset");
    const stat = lstatOrUndefined(sdk);
    if (stat !== undefined) return stat.isDirectory() ? sdk : undefined;
    const parent = dirname(at);
    if (parent === at) return undefined;
    at = parent;
  }
}

function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
