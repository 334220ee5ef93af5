/**
 * What `runtime.environment()`, `GET /v1/environment` and `chipset env` report: what the host
 * runs on, each verdict with the evidence that decided it, the capability matrix with the limits
 * found, and the defaults adapted to it (see docs/environment.md).
 */

/** One fact looked at: a file and what it held, or an environment variable and its value. */
export interface Evidence {
  /** Where it was looked for: a path (`/proc/cpuinfo`) or `env NAME`. */
  source: string;
  /** What was found there (`flags include hypervisor`, `"KVM"`), or `absent`. */
  found: string;
}

/**
 * One verdict: `value` names what was decided (`kvm`, `docker`, `none`...); `detected` is false
 * when nothing was found (bare metal, no container). `evidence` is never empty: when nothing was
 * found it lists what was looked at.
 */
export interface Verdict<V extends string = string> {
  value: V;
  detected: boolean;
  evidence: Evidence[];
}

/** Where this machine runs: on bare metal, in a virtual machine, or unknown (no `/proc`). */
export type MachineKind = "bare-metal" | "virtual-machine" | "unknown";

/** The machine verdict: its kind and, in a virtual machine, the hypervisor when it can be told. */
export interface MachineVerdict extends Verdict<MachineKind> {
  /** `kvm`, `vmware`, `hyper-v`, `xen`, `virtualbox`, `qemu`, `parallels`, `bhyve`...; null when not a VM or not told. */
  hypervisor: string | null;
}

/** The verdicts about where this process runs. */
export interface EnvironmentVerdicts {
  machine: MachineVerdict;
  /** `docker`, `podman`, `containerd`, `cri-o`, `lxc`, `systemd-nspawn`, `container` (unnamed), or `none`. */
  container: Verdict;
  /** `pod` in a Kubernetes pod, else `none`. */
  kubernetes: Verdict;
  /** `wsl1`, `wsl2`, or `none`. */
  wsl: Verdict;
  /** `aws-lambda`, `azure-functions`, `google-cloud-run`, `google-cloud-functions`, `vercel`, `netlify`, or `none`. */
  serverless: Verdict;
  /** `github-actions`, `gitlab-ci`, `circleci`, `jenkins`, `buildkite`, `azure-pipelines`, `travis`, `ci` (unnamed), or `none`. */
  ci: Verdict;
}

/** One row of the capability matrix: whether it is here, the limit or reason, and why. */
export interface Capability {
  available: boolean;
  /** The limit found (`2 CPUs (cgroup cpu.max)`), or why it is missing. */
  detail: string;
  evidence: Evidence[];
}

/** What this process can do here, with the limits found. */
export interface CapabilityMatrix {
  /** `node:worker_threads` usable (not forbidden by the permission model, threads left under a pids limit). */
  threads: Capability;
  /** Child processes can be started (`isolation: "process"`). */
  childProcesses: Capability & {
    /** True when a child was really started to find out (`chipset env`); false when decided from evidence alone. */
    tried: boolean;
  };
  /** Node's permission model (process modules with `permissions`); `active` when this process runs under it. */
  permissionModel: Capability & { flag: string | null; active: boolean };
  /** CPUs this process may use: the affinity mask, capped by the cgroup's quota. */
  cpu: Capability & {
    /** CPUs usable, the cgroup quota applied (may be fractional: 0.5 for `50000 100000`). */
    cpus: number;
    /** `os.availableParallelism()`: CPUs in this process's affinity mask. */
    parallelism: number;
    /** The cgroup's CPU quota in CPUs; null when none. */
    cgroupCpus: number | null;
  };
  /** Memory this process may use: the machine's, capped by the cgroup's limit. */
  memory: Capability & {
    /** The machine's memory, in bytes. */
    totalBytes: number;
    /** The cgroup's memory limit, in bytes; null when none (`max`). */
    cgroupLimitBytes: number | null;
    /** The smaller of the two, in bytes. */
    limitBytes: number;
  };
  /** The data directory (or its nearest existing parent) is writable; its file system's free space. */
  disk: Capability & { path: string; freeBytes: number | null };
  /** A network interface other than loopback exists. */
  network: Capability & { interfaces: string[] };
}

/** Where an adapted default came from. */
export type DefaultSource = "explicit" | "adapted" | "default";

/** One default that adapts to the environment: its value, where it came from, and why. */
export interface AdaptedDefault<T> {
  /** The setting, as it is written in options (`hosts.pool.worker`). */
  setting: string;
  value: T;
  /** `explicit`: configuration gave it (and wins); `adapted`: the environment decided; `default`: the fixed default stands. */
  source: DefaultSource;
  /** Why, for people (`cgroup cpu.max allows 2 CPUs`). */
  why: string;
}

/** The defaults adapted to the environment (see {@link adaptDefaults}). */
export interface AdaptedDefaults {
  /** Blank worker hosts kept warm. */
  poolWorker: AdaptedDefault<number>;
  /** Blank process hosts kept warm. */
  poolProcess: AdaptedDefault<number>;
  /** The most replicas of a module when its manifest does not say (`replicas.max`). */
  replicasMax: AdaptedDefault<number>;
  /** Every module's memory limit when neither manifest nor configuration sets one, in MB; null: none. */
  memoryMb: AdaptedDefault<number | null>;
  /** Where `isolation: "process"` modules run: `process`, or `worker` where processes cannot be started. */
  processIsolation: AdaptedDefault<"process" | "worker">;
}

/** The whole report. */
export interface EnvironmentReport {
  /** When detected, in ms since the epoch. */
  at: number;
  node: string;
  platform: string;
  arch: string;
  verdicts: EnvironmentVerdicts;
  capabilities: CapabilityMatrix;
  defaults: AdaptedDefaults;
}
