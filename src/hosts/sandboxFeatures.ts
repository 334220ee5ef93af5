import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { nodeFeatures } from "../common/nodeFeatures.js";
import { findCgroupRoots, type CgroupRoots } from "./isolated/cgroup.js";

/** Whether this machine provides one protection, and why not when it does not. */
export interface Protection {
  available: boolean;
  /** What it is here (`"uid 65534, gid 65534"`) when available, else why it is missing. */
  detail: string;
}

/** The protections a sandboxed process module (`isolation: "process"` with `permissions`) gets on this machine. */
export interface SandboxReport {
  /** Node's permission model (`--permission`): the module's fs, child process and worker grants. */
  permissionModel: Protection;
  /** The module runs under an unprivileged uid and gid (default 65534, `nobody`). */
  unprivilegedUser: Protection;
  /** The module runs in a network namespace of its own (loopback only) unless it is granted `net`. */
  networkNamespace: Protection;
  /** `limits.memoryMb` is enforced by the kernel (a cgroup's memory limit). */
  cgroupMemory: Protection;
  /** The module's processes and threads are capped by the kernel (a cgroup's pids limit). */
  cgroupPids: Protection;
  /** `limits.cpuPercent` is enforced by the kernel (a cgroup's CPU quota). */
  cgroupCpu: Protection;
  /** Every process module's resident memory is read from `/proc/<pid>/status`, not from the module. */
  procMemory: Protection;
}

/** What the spawn of a sandboxed host uses: the report, and the means behind each protection. */
export interface SandboxFeatures {
  report: SandboxReport;
  /** The uid and gid to run as, when {@link SandboxReport.unprivilegedUser} is available. */
  user?: { uid: number; gid: number };
  /** Absolute paths of the tools used: `unshare` when the namespace is available, `setpriv` for the user, `ip` for loopback. */
  tools: { unshare?: string; setpriv?: string; ip?: string };
  /** Where cgroups are made, when either cgroup protection is available. */
  cgroups?: CgroupRoots;
}

/** The environment variable choosing the user sandboxed modules run as: `uid[:gid]`, or `off`. */
export const SANDBOX_USER_ENV = "CHIPSET_SANDBOX_USER";
/** The uid and gid sandboxed modules run as by default: `nobody` / `nogroup` on most Linux systems. */
export const DEFAULT_SANDBOX_ID = 65534;

const cache = new Map<string, SandboxFeatures>();

/**
 * What this machine offers sandboxed process modules, detected once per value of
 * `CHIPSET_SANDBOX_USER` and cached: the user from root or CAP_SETUID and CAP_SETGID (and
 * util-linux `setpriv`), the network namespace by running `unshare --net true`, the cgroups by
 * creating the `chipset` cgroup (see {@link findCgroupRoots}), memory readings from `/proc`.
 * `chipset env` prints the same report. The first call may take some milliseconds (one
 * `unshare` run); later calls are free.
 */
export function sandboxFeatures(env: NodeJS.ProcessEnv = process.env): SandboxFeatures {
  const setting = env[SANDBOX_USER_ENV] ?? "";
  let features = cache.get(setting);
  if (features === undefined) {
    features = detect(setting);
    cache.set(setting, features);
  }
  return features;
}

function detect(setting: string): SandboxFeatures {
  const linux = process.platform === "linux";
  const tools: SandboxFeatures["tools"] = {};
  const unshare = linux ? which("unshare") : undefined;
  const setpriv = linux ? which("setpriv") : undefined;
  const ip = linux ? which("ip") : undefined;
  const features: SandboxFeatures = {
    tools,
    report: {
      permissionModel:
        nodeFeatures.permissionFlag === null
          ? { available: false, detail: `Node ${process.version} has no permission model` }
          : { available: true, detail: nodeFeatures.permissionFlag },
      unprivilegedUser: { available: false, detail: "" },
      networkNamespace: { available: false, detail: "" },
      cgroupMemory: { available: false, detail: "" },
      cgroupPids: { available: false, detail: "" },
      cgroupCpu: { available: false, detail: "" },
      procMemory: procMemory(),
    },
  };
  const { report } = features;

  const user = parseUser(setting);
  if (typeof user === "string") report.unprivilegedUser.detail = user;
  else if (!linux) report.unprivilegedUser.detail = `implemented on Linux only (this is ${process.platform})`;
  else if (!canSetIds()) report.unprivilegedUser.detail = "not root and no CAP_SETUID and CAP_SETGID";
  else if (setpriv === undefined) report.unprivilegedUser.detail = "setpriv (util-linux) not found on PATH";
  else {
    features.user = user;
    tools.setpriv = setpriv;
    report.unprivilegedUser = { available: true, detail: `uid ${user.uid}, gid ${user.gid}` };
  }

  const net = networkNamespace(linux, unshare);
  report.networkNamespace = net;
  if (net.available) {
    tools.unshare = unshare!;
    if (ip !== undefined) tools.ip = ip;
    net.detail = ip === undefined ? "no loopback (ip from iproute2 not found)" : "loopback only";
  }

  const roots = findCgroupRoots();
  if (typeof roots === "string") {
    report.cgroupMemory.detail = roots;
    report.cgroupPids.detail = roots;
    report.cgroupCpu.detail = roots;
  } else {
    for (const [controller, entry] of [
      ["memory", report.cgroupMemory],
      ["pids", report.cgroupPids],
      ["cpu", report.cgroupCpu],
    ] as const) {
      const dir = roots.dirs[controller];
      entry.available = dir !== undefined;
      entry.detail = dir ?? roots.reasons[controller] ?? "";
    }
    if (report.cgroupMemory.available || report.cgroupPids.available || report.cgroupCpu.available)
      features.cgroups = roots;
  }
  return features;
}

/** `CHIPSET_SANDBOX_USER`: empty for the default, `off`, `uid` or `uid:gid`; a string says why there is none. */
function parseUser(setting: string): { uid: number; gid: number } | string {
  const value = setting.trim();
  if (value === "") return { uid: DEFAULT_SANDBOX_ID, gid: DEFAULT_SANDBOX_ID };
  if (value === "off") return `turned off (${SANDBOX_USER_ENV}=off)`;
  const match = /^(\d+)(?::(\d+))?$/.exec(value);
  const uid = Number(match?.[1]);
  const gid = Number(match?.[2] ?? match?.[1]);
  if (match === null || uid === 0 || gid === 0 || uid > 0xfffffffe || gid > 0xfffffffe)
    return `${SANDBOX_USER_ENV}=${setting} is not "off", "uid" or "uid:gid" with numbers other than 0; modules run as this process's user`;
  return { uid, gid };
}

/** Root, or both CAP_SETUID (7) and CAP_SETGID (6) in the effective set. */
function canSetIds(): boolean {
  if (process.getuid?.() === 0) return true;
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1];
    if (hex === undefined) return false;
    const caps = BigInt(`0x${hex}`);
    return (caps & (1n << 7n)) !== 0n && (caps & (1n << 6n)) !== 0n;
  } catch {
    return false;
  }
}

function networkNamespace(linux: boolean, unshare: string | undefined): Protection {
  if (!linux) return { available: false, detail: `implemented on Linux only (this is ${process.platform})` };
  if (unshare === undefined) return { available: false, detail: "unshare (util-linux) not found on PATH" };
  const run = spawnSync(unshare, ["--net", "--", "true"], { encoding: "utf8", timeout: 10_000 });
  if (run.status === 0) return { available: true, detail: "" };
  const why = (run.stderr || run.error?.message || `exit code ${String(run.status)}`).trim();
  return { available: false, detail: `unshare --net failed: ${why} (needs root or CAP_SYS_ADMIN)` };
}

function procMemory(): Protection {
  try {
    if (/^VmRSS:/m.test(fs.readFileSync(`/proc/${process.pid}/status`, "utf8")))
      return { available: true, detail: "VmRSS of /proc/<pid>/status" };
    return { available: false, detail: "/proc/<pid>/status has no VmRSS line" };
  } catch {
    return {
      available: false,
      detail: "no /proc/<pid>/status: a process module's memory is what it reports in its heartbeat",
    };
  }
}

/** The absolute path of `name` on PATH (or in /usr/sbin and /sbin, where `ip` often is). */
function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/sbin", "/usr/bin", "/bin"];
  for (const dir of dirs) {
    if (dir === "") continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  return undefined;
}
