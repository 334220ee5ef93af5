import path from "node:path";
import { parseProcCgroup } from "../common/procCgroup.js";
import type { Evidence } from "./EnvironmentReport.js";
import type { SystemFiles } from "./SystemFiles.js";

/** One limit found, and the file that set it. */
export interface FoundLimit {
  value: number;
  evidence: Evidence;
}

/** The limits of this process's own cgroup (the tightest of it and its ancestors), per resource. */
export interface CgroupLimits {
  /** 1 or 2 (unified); null where no cgroup hierarchy was found (not Linux, or no `/proc/self/cgroup`). */
  version: 1 | 2 | null;
  /** The CPU quota in CPUs (`cpu.max` quota / period); null: none. */
  cpus: FoundLimit | null;
  /** The memory limit in bytes (`memory.max`); null: none. */
  memoryBytes: FoundLimit | null;
  /** The most processes and threads (`pids.max`); null: none. */
  pids: FoundLimit | null;
  /** What was looked at when no limit was found, or why nothing could be. */
  looked: Evidence[];
}

const MOUNT = "/sys/fs/cgroup";
/** v1 writes "no limit" as the largest page-aligned count (9223372036854771712); anything this large is none. */
const V1_UNLIMITED = 2 ** 60;

/**
 * Reads the limits of this process's cgroup under `files.root`: its path from
 * `/proc/self/cgroup`, then, in it and each ancestor up to the mount (a limit of a parent holds
 * too), v2's `cpu.max` (`"200000 100000"`: 2 CPUs; `"max ..."`: none), `memory.max` and
 * `pids.max`, or v1's `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1: none),
 * `memory.limit_in_bytes` and `pids.max`. A cgroup namespace shows the process at `/` of the
 * mount: the path is then read from the mount's root.
 */
export function readCgroupLimits(files: SystemFiles): CgroupLimits {
  const text = files.text("/proc/self/cgroup");
  const limits: CgroupLimits = { version: null, cpus: null, memoryBytes: null, pids: null, looked: [] };
  if (text === undefined) {
    limits.looked.push({ source: "/proc/self/cgroup", found: "absent" });
    return limits;
  }
  const own = parseProcCgroup(text);
  if (files.exists(`${MOUNT}/cgroup.controllers`) && own.unified !== undefined) {
    limits.version = 2;
    const dirs = chain(files, MOUNT, own.unified);
    limits.cpus = tightest(files, dirs, "cpu.max", (content) => {
      const [quota, period] = content.split(/\s+/);
      return quota === "max" || quota === undefined ? null : Number(quota) / Number(period ?? 100_000);
    });
    limits.memoryBytes = tightest(files, dirs, "memory.max", plainNumber);
    limits.pids = tightest(files, dirs, "pids.max", plainNumber);
    lookedAt(files, limits, dirs[0]!, ["cpu.max", "memory.max", "pids.max"]);
    return limits;
  }
  limits.version = 1;
  const v1 = (controller: string, mounts: string[]): string[] => {
    const ownPath = own.controllers.get(controller);
    const mount = mounts.find((m) => files.exists(`${MOUNT}/${m}`));
    return ownPath === undefined || mount === undefined ? [] : chain(files, `${MOUNT}/${mount}`, ownPath);
  };
  const cpuDirs = v1("cpu", ["cpu", "cpu,cpuacct", "cpuacct,cpu"]);
  limits.cpus = tightest(files, cpuDirs, "cpu.cfs_quota_us", (content, dir) => {
    const quota = Number(content);
    const period = Number(files.line(`${dir}/cpu.cfs_period_us`) ?? 100_000);
    return !(quota > 0) || !(period > 0) ? null : quota / period;
  });
  const memoryDirs = v1("memory", ["memory"]);
  limits.memoryBytes = tightest(files, memoryDirs, "memory.limit_in_bytes", (content) => {
    const value = plainNumber(content);
    return value === null || value >= V1_UNLIMITED ? null : value;
  });
  const pidsDirs = v1("pids", ["pids"]);
  limits.pids = tightest(files, pidsDirs, "pids.max", plainNumber);
  if (cpuDirs.length > 0) lookedAt(files, limits, cpuDirs[0]!, ["cpu.cfs_quota_us"]);
  else limits.looked.push({ source: `${MOUNT}/cpu`, found: "no cgroup v1 cpu controller" });
  if (memoryDirs.length > 0) lookedAt(files, limits, memoryDirs[0]!, ["memory.limit_in_bytes"]);
  else limits.looked.push({ source: `${MOUNT}/memory`, found: "no cgroup v1 memory controller" });
  return limits;
}

/** A number, or null for `max` and anything else. */
function plainNumber(content: string): number | null {
  return /^\d+$/.test(content) ? Number(content) : null;
}

/** The process's cgroup directory under `mount`, then each parent up to the mount itself. */
function chain(files: SystemFiles, mount: string, own: string): string[] {
  let dir = path.posix.join(mount, own.replace(/^\/+/, ""));
  // In a cgroup namespace (or v1 without one, inside a container) the path may not exist under
  // this mount: the container's own cgroup is then the mount's root.
  if (!files.exists(dir)) dir = mount;
  const dirs = [dir];
  while (dir !== mount && dir.startsWith(`${mount}/`)) dirs.push((dir = path.posix.dirname(dir)));
  return dirs;
}

/** The smallest limit in `file` of any of `dirs`, with the file and what it held. */
function tightest(
  files: SystemFiles,
  dirs: readonly string[],
  file: string,
  parse: (content: string, dir: string) => number | null,
): FoundLimit | null {
  let best: FoundLimit | null = null;
  for (const dir of dirs) {
    const content = files.line(`${dir}/${file}`);
    if (content === undefined) continue;
    const value = parse(content, dir);
    if (value !== null && Number.isFinite(value) && (best === null || value < best.value))
      best = { value, evidence: { source: `${dir}/${file}`, found: JSON.stringify(content) } };
  }
  return best;
}

/** Evidence of no limit: what the process's own cgroup's files held (`"max"`: none). */
function lookedAt(files: SystemFiles, limits: CgroupLimits, dir: string, names: readonly string[]): void {
  for (const name of names) {
    const key = name.startsWith("cpu") ? "cpus" : name.startsWith("memory") ? "memoryBytes" : "pids";
    if (limits[key] !== null) continue;
    const content = files.line(`${dir}/${name}`);
    limits.looked.push({
      source: `${dir}/${name}`,
      found: content === undefined ? "absent" : `${JSON.stringify(content)} (no limit)`,
    });
  }
}
