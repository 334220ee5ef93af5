import fs from "node:fs";
import path from "node:path";
import { SANDBOX_USER_ENV, type SandboxFeatures } from "../sandboxFeatures.js";
import { DEFAULT_PIDS_LIMIT } from "../../vocabulary/manifest.js";
import { SandboxCgroup } from "./cgroup.js";

/** What makes a process host sandboxed beyond the permission model's flags. */
export interface SandboxSpec {
  /** Granted the network: no namespace of its own. */
  net: boolean;
  /** The kernel's memory limit, in MiB (`limits.memoryMb`); absent: none. */
  memoryMb?: number;
  /** The most processes and threads at once; default {@link DEFAULT_PIDS_LIMIT}. */
  pids?: number;
  /** The kernel's CPU quota, in % of one CPU (`limits.cpuPercent`); absent: none. */
  cpuPercent?: number;
  /** Files and directories the host must read to start (the child entry, the module's directory). */
  reads: string[];
}

/** How to start a sandboxed host: the command before node's, and its cgroup. */
export interface SandboxLaunch {
  /** The command and arguments that run node's command line after them (empty: node itself). */
  prefix: string[];
  /** The cgroup the host joins once started, where the machine has one. */
  cgroup: SandboxCgroup | undefined;
}

// Brings the namespace's loopback up, then runs the rest: `sh -c SCRIPT sh <ip> <command...>`.
// The shell exports PWD (and OLDPWD) of its own: unset, so the module gets exactly its environment.
const LOOPBACK_UP = 'ip="$1"; shift; "$ip" link set lo up 2>/dev/null; unset PWD OLDPWD; exec "$@"';

/**
 * The launch of a sandboxed host on this machine (see {@link SandboxFeatures}): without `net`,
 * `unshare --net` (a network namespace with only a loopback, brought up with `ip`); then
 * `setpriv` to the unprivileged user, with no supplementary groups and `no_new_privs` (a setuid
 * program cannot give the privileges back); and a cgroup with the memory, pids and CPU limits. Each
 * is used only where the machine provides it; without any, the host is node itself. Throws when
 * the cgroup cannot be made (the host must not start without the limits detection promised).
 * Every part of the prefix execs the next, so the host's pid is the one `spawn` returns.
 */
export function sandboxLaunch(features: SandboxFeatures, spec: SandboxSpec): SandboxLaunch {
  const prefix: string[] = [];
  const { unshare, ip, setpriv } = features.tools;
  if (!spec.net && unshare !== undefined) {
    prefix.push(unshare, "--net", "--");
    if (ip !== undefined) prefix.push("/bin/sh", "-c", LOOPBACK_UP, "sh", ip);
  }
  if (features.user !== undefined && setpriv !== undefined) {
    const { uid, gid } = features.user;
    for (const file of spec.reads) assertReadable(file, uid, gid);
    prefix.push(setpriv, `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--no-new-privs", "--");
  }
  const cgroup =
    features.cgroups === undefined
      ? undefined
      : new SandboxCgroup(features.cgroups, {
          ...(spec.memoryMb === undefined ? {} : { memoryBytes: Math.round(spec.memoryMb * 1024 * 1024) }),
          pids: spec.pids ?? DEFAULT_PIDS_LIMIT,
          ...(spec.cpuPercent === undefined ? {} : { cpuPercent: spec.cpuPercent }),
        });
  return { prefix, cgroup };
}

/**
 * Throws unless `uid`/`gid` may read `file` (and list it, if a directory) and pass through every
 * directory above it, by their mode bits: a module that cannot read its own code would fail to
 * load with a bare "Cannot find module".
 */
function assertReadable(file: string, uid: number, gid: number): void {
  const denied = (at: string, mode: number, need: string): never => {
    throw new Error(
      `${file} cannot be read by uid ${uid} (gid ${gid}), which sandboxed modules run as: ${at} is mode ` +
        `${(mode & 0o777).toString(8).padStart(4, "0")} and must allow others to ${need} (chmod o+${need === "pass through" ? "x" : "rx"}), ` +
        `or set ${SANDBOX_USER_ENV} to a uid:gid that may read it, or to off`,
    );
  };
  const allowed = (stat: fs.Stats, bits: number): boolean => {
    const shift = stat.uid === uid ? 6 : stat.gid === gid ? 3 : 0;
    return ((stat.mode >> shift) & bits) === bits;
  };
  const target = path.resolve(file);
  for (let dir = path.dirname(target), prev = ""; dir !== prev; prev = dir, dir = path.dirname(dir)) {
    const stat = fs.statSync(dir);
    if (!allowed(stat, 0o1)) denied(dir, stat.mode, "pass through");
  }
  const stat = fs.statSync(target);
  if (!allowed(stat, stat.isDirectory() ? 0o5 : 0o4)) denied(target, stat.mode, "read");
}
