import { resolve } from "node:path";

/** What a process host may do under Node's permission model; every path absolute. */
export interface HostPermissions {
  /** Paths (files or directories) the child may read, beyond what it needs to run (see `hostSpec`). */
  fsRead: string[];
  /** Paths the child may write. */
  fsWrite: string[];
  /** May start child processes. */
  childProcess: boolean;
  /** May start worker threads. */
  worker: boolean;
  /** May use the network (default false: a network namespace of its own where the machine allows, see `sandboxFeatures`). */
  net?: boolean;
  /** Names of the runtime's environment variables the child gets; it gets no others (see `childEnvironment`). */
  env: string[];
}

/**
 * The exact Node flags of a process host (never the runtime's own `execArgv`):
 * `--max-old-space-size=<memoryMb>` when a limit is set; with `permissions`, the permission
 * model: `--experimental-permission` on Node 20 and 21 (`--permission` from 22), one
 * `--allow-fs-read=` / `--allow-fs-write=` flag per path (a comma is part of a path on Node
 * 20.20+, not a separator), and `--allow-child-process` / `--allow-worker` when granted.
 * The permission model's "experimental feature" warning is silenced.
 */
export function processExecArgv(
  memoryMb: number | undefined,
  permissions: HostPermissions | undefined,
  nodeMajor = Number(process.versions.node.split(".")[0]),
): string[] {
  const argv: string[] = [];
  if (memoryMb !== undefined) argv.push(`--max-old-space-size=${memoryMb}`);
  if (permissions === undefined) return argv;
  if (nodeMajor >= 22) argv.push("--permission");
  else argv.push("--experimental-permission", "--disable-warning=ExperimentalWarning");
  for (const path of unique(permissions.fsRead)) argv.push(`--allow-fs-read=${path}`);
  for (const path of unique(permissions.fsWrite)) argv.push(`--allow-fs-write=${path}`);
  if (permissions.childProcess) argv.push("--allow-child-process");
  if (permissions.worker) argv.push("--allow-worker");
  return argv;
}

/**
 * Each path once, normalised: Node 20 aborts (`Assertion failed: !path_prefix.empty()`) when
 * one directory is granted both as `/a` and as `/a/`.
 */
function unique(paths: string[]): string[] {
  return [...new Set(paths.map((path) => resolve(path)))];
}
