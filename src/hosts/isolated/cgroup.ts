import fs from "node:fs";
import path from "node:path";
import { parseProcCgroup, type ProcCgroup } from "../../common/procCgroup.js";

/** The controllers a sandboxed process host is limited by. */
export type CgroupController = "memory" | "pids" | "cpu";

/**
 * Where this process may create cgroups for its sandboxed hosts, per controller: the directory
 * `chipset/` is made in (this process's own cgroup, so that a module stays under whatever limits
 * the runtime itself runs under), or why it cannot.
 */
export interface CgroupRoots {
  /** 1: one hierarchy per controller (`/sys/fs/cgroup/<controller>`); 2: the unified hierarchy. */
  version: 1 | 2;
  /** The `chipset` directory per controller, absent when the controller cannot be used. */
  dirs: Partial<Record<CgroupController, string>>;
  /** Why a controller cannot be used (absent when it can). */
  reasons: Partial<Record<CgroupController, string>>;
}

const CGROUP_MOUNT = "/sys/fs/cgroup";
const CONTROLLERS: CgroupController[] = ["memory", "pids", "cpu"];
/** The period of a cgroup's CPU quota, in µs (the kernel's default): the quota is a share of each 100 ms. */
export const CPU_PERIOD_US = 100_000;
/** The smallest quota the kernel takes, in µs (1 ms of each period: 1% of a CPU). */
const MIN_CPU_QUOTA_US = 1_000;

/**
 * Finds where this process may create cgroups (Linux only), and creates the `chipset/`
 * directory there to prove it may: v1 mounts each controller under `/sys/fs/cgroup/<name>`; v2
 * (`/sys/fs/cgroup/cgroup.controllers`) needs this process's cgroup to delegate the controllers
 * to its children (`cgroup.subtree_control`), which only works when it holds no process itself.
 */
export function findCgroupRoots(): CgroupRoots | string {
  if (process.platform !== "linux") return `cgroups are a Linux feature (this is ${process.platform})`;
  let own: ProcCgroup;
  try {
    own = parseProcCgroup(fs.readFileSync("/proc/self/cgroup", "utf8"));
  } catch {
    return "/proc/self/cgroup cannot be read";
  }
  if (fs.existsSync(path.join(CGROUP_MOUNT, "cgroup.controllers"))) return findV2(own);
  const roots: CgroupRoots = { version: 1, dirs: {}, reasons: {} };
  for (const controller of CONTROLLERS) {
    const ownPath = own.controllers.get(controller);
    const mount = path.join(CGROUP_MOUNT, controller);
    if (ownPath === undefined || !fs.existsSync(mount)) {
      roots.reasons[controller] = `no cgroup v1 ${controller} controller mounted at ${mount}`;
      continue;
    }
    const dir = path.join(mount, ownPath, "chipset");
    const failure = makeDir(dir);
    if (failure === undefined) roots.dirs[controller] = dir;
    else roots.reasons[controller] = failure;
  }
  return roots;
}

function findV2(own: ProcCgroup): CgroupRoots {
  const roots: CgroupRoots = { version: 2, dirs: {}, reasons: {} };
  const base = path.join(CGROUP_MOUNT, own.unified ?? "/");
  const dir = path.join(base, "chipset");
  const failure = makeDir(dir);
  let enabled = "";
  if (failure === undefined) {
    // The controllers a child of `chipset/` may use must be enabled in `chipset/` itself; one
    // at a time, as a write naming one the parent does not delegate enables none of them.
    for (const controller of CONTROLLERS) {
      try {
        fs.writeFileSync(path.join(dir, "cgroup.subtree_control"), `+${controller}`);
      } catch {
        // Reported per controller below.
      }
    }
    try {
      enabled = fs.readFileSync(path.join(dir, "cgroup.subtree_control"), "utf8");
    } catch {
      // Treated as none enabled.
    }
  }
  for (const controller of CONTROLLERS) {
    if (failure !== undefined) roots.reasons[controller] = failure;
    else if (enabled.split(/\s+/).includes(controller)) roots.dirs[controller] = dir;
    else
      roots.reasons[controller] =
        `cgroup v2: the ${controller} controller is not delegated to ${base} (it must be in its cgroup.subtree_control, ` +
        "which needs a cgroup of chipset's own, such as a systemd unit with Delegate=yes)";
  }
  return roots;
}

/** Creates `dir` (a cgroup); undefined when it exists now, else why it cannot. */
function makeDir(dir: string): string | undefined {
  try {
    fs.mkdirSync(dir);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return undefined;
    return `cgroup not writable: cannot create ${dir} (${code ?? String(err)})`;
  }
}

/** Limits of one sandboxed host's cgroup. */
export interface CgroupLimits {
  /** Resident memory limit (page cache included), in bytes; absent: none. */
  memoryBytes?: number;
  /** The most processes and threads at once. */
  pids: number;
  /** CPU time, in % of one CPU (100 = one core; 250 = two and a half), as a quota per {@link CPU_PERIOD_US}; absent: none. */
  cpuPercent?: number;
}

/** `cpu.max` (v2) or `cpu.cfs_quota_us` (v1): the CPU time allowed per {@link CPU_PERIOD_US}, in µs, for `cpuPercent` of one CPU. */
export function cpuQuotaUs(cpuPercent: number): number {
  return Math.max(MIN_CPU_QUOTA_US, Math.round((cpuPercent / 100) * CPU_PERIOD_US));
}

let created = 0;
const cleanedUp = new Set<string>();

/**
 * The cgroup (one per controller) of one sandboxed process host: `<chipset>/<runtime pid>-<n>`
 * with its limits. Made before the host starts; the host joins it (and so does every process
 * it starts); ended by {@link killAll} and {@link remove}. The first one a runtime makes also
 * removes those left by runtimes that died (their pid is gone).
 */
export class SandboxCgroup {
  /** The directory per controller in use. */
  readonly dirs: string[] = [];
  private readonly memoryDir: string | undefined;

  constructor(
    private readonly roots: CgroupRoots,
    limits: CgroupLimits,
  ) {
    const name = `${process.pid}-${++created}`;
    const parents = new Set(Object.values(roots.dirs));
    for (const parent of parents) {
      if (!cleanedUp.has(parent)) {
        cleanedUp.add(parent);
        removeStaleCgroups(parent);
      }
    }
    // v2 has one directory for every controller; v1 one per controller.
    const made = new Map<string, string>();
    const dirIn = (parent: string): string => {
      let dir = made.get(parent);
      if (dir === undefined) made.set(parent, (dir = this.make(parent, name)));
      return dir;
    };
    const memoryParent = limits.memoryBytes === undefined ? undefined : roots.dirs.memory;
    const cpuParent = limits.cpuPercent === undefined ? undefined : roots.dirs.cpu;
    try {
      if (memoryParent !== undefined) {
        this.memoryDir = dirIn(memoryParent);
        this.writeMemoryLimit(limits.memoryBytes!);
      }
      if (roots.dirs.pids !== undefined)
        fs.writeFileSync(path.join(dirIn(roots.dirs.pids), "pids.max"), String(limits.pids));
      if (cpuParent !== undefined) this.writeCpuLimit(dirIn(cpuParent), cpuQuotaUs(limits.cpuPercent!));
    } catch (err) {
      this.remove();
      throw err;
    }
  }

  /** Moves the process `pid` (and what it starts from now on) into this cgroup. */
  join(pid: number): void {
    for (const dir of this.dirs) fs.writeFileSync(path.join(dir, "cgroup.procs"), String(pid));
  }

  /** True when the kernel killed a process of this cgroup for going over its memory limit. */
  oomKilled(): boolean {
    if (this.memoryDir === undefined) return false;
    const file = this.roots.version === 1 ? "memory.oom_control" : "memory.events";
    try {
      const match = /^oom_kill (\d+)$/m.exec(fs.readFileSync(path.join(this.memoryDir, file), "utf8"));
      return match !== null && Number(match[1]) > 0;
    } catch {
      return false;
    }
  }

  /** SIGKILLs every process in this cgroup, however deep it is and whatever group or session it started. */
  killAll(): void {
    for (const dir of this.dirs) killCgroup(dir, this.roots.version);
  }

  /** Kills what is left, then removes the directories; true when none is left. */
  remove(): boolean {
    this.killAll();
    for (let i = this.dirs.length - 1; i >= 0; i--) {
      try {
        fs.rmdirSync(this.dirs[i]!);
        this.dirs.splice(i, 1);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") this.dirs.splice(i, 1);
      }
    }
    return this.dirs.length === 0;
  }

  private make(parent: string, name: string): string {
    const dir = path.join(parent, name);
    fs.mkdirSync(dir);
    this.dirs.push(dir);
    return dir;
  }

  private writeCpuLimit(dir: string, quotaUs: number): void {
    if (this.roots.version === 2) {
      fs.writeFileSync(path.join(dir, "cpu.max"), `${quotaUs} ${CPU_PERIOD_US}`);
      return;
    }
    fs.writeFileSync(path.join(dir, "cpu.cfs_period_us"), String(CPU_PERIOD_US));
    fs.writeFileSync(path.join(dir, "cpu.cfs_quota_us"), String(quotaUs));
  }

  private writeMemoryLimit(bytes: number): void {
    const dir = this.memoryDir!;
    if (this.roots.version === 2) {
      fs.writeFileSync(path.join(dir, "memory.max"), String(bytes));
      // Swap would let it hold more than its limit, only slower.
      writeIfPresent(path.join(dir, "memory.swap.max"), "0");
      return;
    }
    fs.writeFileSync(path.join(dir, "memory.limit_in_bytes"), String(bytes));
    writeIfPresent(path.join(dir, "memory.memsw.limit_in_bytes"), String(bytes));
  }
}

function writeIfPresent(file: string, value: string): void {
  if (fs.existsSync(file)) fs.writeFileSync(file, value);
}

/** SIGKILLs every process of the cgroup `dir` (v2: `cgroup.kill` where the kernel has it). */
function killCgroup(dir: string, version: 1 | 2): void {
  if (version === 2) {
    try {
      fs.writeFileSync(path.join(dir, "cgroup.kill"), "1");
      return;
    } catch {
      // Before Linux 5.14: one by one, as for v1.
    }
  }
  // A process may fork between the read and the kill: read again until none is left.
  for (let round = 0; round < 100; round++) {
    let pids: number[];
    try {
      pids = fs
        .readFileSync(path.join(dir, "cgroup.procs"), "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map(Number);
    } catch {
      return;
    }
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
  }
}

/**
 * Kills the processes of, and removes, the cgroups under `parent` (a `chipset` cgroup) of
 * runtimes that are no longer running (named `<runtime pid>-<n>`): a runtime killed with
 * SIGKILL leaves its cgroups behind. One still busy is left for the next try.
 */
export function removeStaleCgroups(parent: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^(\d+)-\d+$/.exec(name);
    if (match === null || isAlive(Number(match[1]))) continue;
    const dir = path.join(parent, name);
    killCgroup(dir, fs.existsSync(path.join(dir, "cgroup.kill")) ? 2 : 1);
    try {
      fs.rmdirSync(dir);
    } catch {
      // Still has processes being reaped; the next runtime tries again.
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
