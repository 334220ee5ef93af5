import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { nodeFeatures } from "../common/nodeFeatures.js";
import type { CgroupLimits } from "./cgroupLimits.js";
import type { Capability, CapabilityMatrix, Evidence } from "./EnvironmentReport.js";
import type { SystemFiles } from "./SystemFiles.js";

/** What the capability matrix reads of this process and machine; tests inject their own. */
export interface ProcessFacts {
  /** `os.availableParallelism()`. */
  parallelism: number;
  /** `os.totalmem()`, in bytes. */
  totalMemoryBytes: number;
  /** `os.networkInterfaces()`. */
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  /** `process.permission` (present when this process runs under the permission model). */
  permission: { has(scope: string, reference?: string): boolean } | undefined;
  /** The permission model's flag on this Node (`nodeFeatures.permissionFlag`). */
  permissionFlag: string | null;
  /** The Node binary child processes are started with (`process.execPath`). */
  execPath: string;
}

/** This process's facts. */
export function processFacts(): ProcessFacts {
  return {
    parallelism: os.availableParallelism(),
    totalMemoryBytes: os.totalmem(),
    interfaces: os.networkInterfaces(),
    permission: (process as { permission?: ProcessFacts["permission"] }).permission,
    permissionFlag: nodeFeatures.permissionFlag,
    execPath: process.execPath,
  };
}

/** What {@link capabilityMatrix} needs. */
export interface MatrixInput {
  files: SystemFiles;
  facts: ProcessFacts;
  limits: CgroupLimits;
  /** The data directory (absolute): its nearest existing directory must be writable. */
  dataDir: string;
  /** Start a child (`node -e 0`, once per process) to find out whether children can be started; default false (evidence only). */
  trySpawn: boolean;
}

/** The capability matrix: threads, child processes, the permission model, CPUs, memory, disk and network. */
export function capabilityMatrix(input: MatrixInput): CapabilityMatrix {
  return {
    threads: threads(input),
    childProcesses: childProcesses(input),
    permissionModel: permissionModel(input.facts),
    cpu: cpu(input),
    memory: memory(input),
    disk: disk(input),
    network: network(input.facts),
  };
}

const MIB = 1024 * 1024;

/** The permission model's verdict on `scope`: evidence, and false where it forbids it. */
function permitted(facts: ProcessFacts, scope: string, flag: string): { ok: boolean; evidence: Evidence } {
  if (facts.permission === undefined)
    return {
      ok: true,
      evidence: { source: "process.permission", found: "absent (no permission model in force)" },
    };
  const ok = facts.permission.has(scope);
  return {
    ok,
    evidence: {
      source: "process.permission",
      found: ok ? `grants ${scope}` : `denies ${scope} (start with ${flag})`,
    },
  };
}

/** Processes and threads left under the cgroup's `pids.max`, with `pids.current` beside it. */
function pidsRoom(input: MatrixInput): { room: number | null; evidence?: Evidence; detail: string } {
  const pids = input.limits.pids;
  if (pids === null) return { room: null, detail: "" };
  const currentFile = pids.evidence.source.replace(/pids\.max$/, "pids.current");
  const current = Number(input.files.line(currentFile) ?? NaN);
  const room = Number.isFinite(current) ? pids.value - current : null;
  const detail =
    room === null ? `cgroup pids.max ${pids.value}` : `cgroup pids.max ${pids.value} (${current} in use)`;
  return { room, evidence: pids.evidence, detail };
}

function threads(input: MatrixInput): Capability {
  const permission = permitted(input.facts, "worker", "--allow-worker");
  const evidence: Evidence[] = [{ source: "node:worker_threads", found: "loaded" }, permission.evidence];
  const pids = pidsRoom(input);
  if (pids.evidence !== undefined) evidence.push(pids.evidence);
  if (!permission.ok)
    return { available: false, detail: "the permission model forbids worker threads", evidence };
  if (pids.room !== null && pids.room <= 0)
    return { available: false, detail: `no thread can start: ${pids.detail}`, evidence };
  return { available: true, detail: pids.detail || "no limit found", evidence };
}

/** Outcomes of starting `node -e 0`, by binary: tried once per process. */
const trials = new Map<string, { ok: boolean; found: string }>();

function trial(execPath: string): { ok: boolean; found: string } {
  let outcome = trials.get(execPath);
  if (outcome === undefined) {
    const run = spawnSync(execPath, ["-e", "0"], { stdio: "ignore", timeout: 10_000 });
    const why = run.error === undefined ? `exit code ${String(run.status ?? run.signal)}` : run.error.message;
    outcome = run.status === 0 ? { ok: true, found: "started and exited 0" } : { ok: false, found: why };
    trials.set(execPath, outcome);
  }
  return outcome;
}

function childProcesses(input: MatrixInput): CapabilityMatrix["childProcesses"] {
  const { facts } = input;
  const permission = permitted(facts, "child", "--allow-child-process");
  const evidence: Evidence[] = [permission.evidence];
  const no = (detail: string): CapabilityMatrix["childProcesses"] => ({
    available: false,
    detail,
    evidence,
    tried: false,
  });
  if (!permission.ok) return no("the permission model forbids child processes");
  try {
    fs.accessSync(facts.execPath, fs.constants.X_OK);
    evidence.push({ source: facts.execPath, found: "executable" });
  } catch (err) {
    evidence.push({
      source: facts.execPath,
      found: `not executable (${(err as NodeJS.ErrnoException).code ?? "error"})`,
    });
    return no(`the Node binary ${facts.execPath} cannot be executed`);
  }
  const pids = pidsRoom(input);
  if (pids.evidence !== undefined) evidence.push(pids.evidence);
  if (pids.room !== null && pids.room <= 0) return no(`no process can start: ${pids.detail}`);
  if (!input.trySpawn)
    return {
      available: true,
      detail: pids.detail || "decided from evidence (not tried)",
      evidence,
      tried: false,
    };
  const outcome = trial(facts.execPath);
  evidence.push({ source: `${facts.execPath} -e 0`, found: outcome.found });
  return {
    available: outcome.ok,
    detail: outcome.ok ? pids.detail || "a child started" : `a child could not be started: ${outcome.found}`,
    evidence,
    tried: true,
  };
}

function permissionModel(facts: ProcessFacts): CapabilityMatrix["permissionModel"] {
  const active = facts.permission !== undefined;
  const evidence: Evidence[] = [
    {
      source: "process.allowedNodeEnvironmentFlags",
      found: facts.permissionFlag === null ? "no permission flag" : `has ${facts.permissionFlag}`,
    },
    { source: "process.permission", found: active ? "present (this process runs under it)" : "absent" },
  ];
  return {
    available: facts.permissionFlag !== null,
    detail:
      facts.permissionFlag === null
        ? `Node ${process.version} has no permission model`
        : `${facts.permissionFlag}${active ? " (this process runs under it)" : ""}`,
    evidence,
    flag: facts.permissionFlag,
    active,
  };
}

/** CPUs as people read them: `2`, `0.5`. */
export function formatCpus(cpus: number): string {
  return String(Math.round(cpus * 100) / 100);
}

function cpu(input: MatrixInput): CapabilityMatrix["cpu"] {
  const { parallelism } = input.facts;
  const quota = input.limits.cpus;
  const evidence: Evidence[] = [{ source: "os.availableParallelism()", found: String(parallelism) }];
  if (quota === null) {
    evidence.push(...input.limits.looked.filter((e) => /cpu/.test(e.source)));
    return {
      available: true,
      detail: `${parallelism} CPU${parallelism === 1 ? "" : "s"}, no cgroup quota`,
      evidence,
      cpus: parallelism,
      parallelism,
      cgroupCpus: null,
    };
  }
  evidence.push(quota.evidence);
  const cpus = Math.min(parallelism, quota.value);
  const file = path.posix.basename(quota.evidence.source);
  return {
    available: true,
    detail: `${formatCpus(cpus)} CPU${cpus === 1 ? "" : "s"} (cgroup ${file} allows ${formatCpus(quota.value)} of ${parallelism})`,
    evidence,
    cpus,
    parallelism,
    cgroupCpus: quota.value,
  };
}

function memory(input: MatrixInput): CapabilityMatrix["memory"] {
  const total = input.facts.totalMemoryBytes;
  const limit = input.limits.memoryBytes;
  const evidence: Evidence[] = [{ source: "os.totalmem()", found: `${Math.round(total / MIB)} MiB` }];
  if (limit === null) {
    evidence.push(...input.limits.looked.filter((e) => /memory/.test(e.source)));
    return {
      available: true,
      detail: `${Math.round(total / MIB)} MiB, no cgroup limit`,
      evidence,
      totalBytes: total,
      cgroupLimitBytes: null,
      limitBytes: total,
    };
  }
  evidence.push(limit.evidence);
  const bytes = Math.min(total, limit.value);
  return {
    available: true,
    detail: `${Math.round(bytes / MIB)} MiB (cgroup ${path.posix.basename(limit.evidence.source)}; the machine has ${Math.round(total / MIB)} MiB)`,
    evidence,
    totalBytes: total,
    cgroupLimitBytes: limit.value,
    limitBytes: bytes,
  };
}

function disk(input: MatrixInput): CapabilityMatrix["disk"] {
  let dir = path.resolve(input.dataDir);
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const evidence: Evidence[] = [];
  let freeBytes: number | null = null;
  try {
    const stat = fs.statfsSync(dir);
    freeBytes = stat.bavail * stat.bsize;
  } catch {
    // Reported as unknown.
  }
  const free = freeBytes === null ? "" : `, ${Math.round(freeBytes / MIB)} MiB free`;
  const permission = input.facts.permission;
  if (permission !== undefined && !permission.has("fs.write", dir)) {
    evidence.push({ source: "process.permission", found: `denies fs.write to ${dir}` });
    return {
      available: false,
      detail: `the permission model forbids writing ${dir}`,
      evidence,
      path: dir,
      freeBytes,
    };
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    evidence.push({ source: dir, found: `writable${free}` });
    return { available: true, detail: `${dir} writable${free}`, evidence, path: dir, freeBytes };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    evidence.push({ source: dir, found: `not writable (${code})` });
    return { available: false, detail: `${dir} is not writable (${code})`, evidence, path: dir, freeBytes };
  }
}

function network(facts: ProcessFacts): CapabilityMatrix["network"] {
  const external: string[] = [];
  const all: string[] = [];
  for (const [name, addresses] of Object.entries(facts.interfaces)) {
    all.push(name);
    const outside = (addresses ?? []).find((a) => !a.internal);
    if (outside !== undefined) external.push(`${name} ${outside.address}`);
  }
  const evidence: Evidence[] = [
    { source: "os.networkInterfaces()", found: all.length === 0 ? "none" : all.join(", ") },
  ];
  if (external.length === 0) return { available: false, detail: "loopback only", evidence, interfaces: [] };
  return {
    available: true,
    detail: external.join(", "),
    evidence,
    interfaces: external.map((e) => e.split(" ")[0]!),
  };
}
