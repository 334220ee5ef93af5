import path from "node:path";
import { formatCpus } from "./capabilities.js";
import type { AdaptedDefault, AdaptedDefaults, CapabilityMatrix } from "./EnvironmentReport.js";

/** What configuration set itself; each given field wins over the adapted default. */
export interface ExplicitSettings {
  /** `hosts.pool.worker`. */
  poolWorker?: number;
  /** `hosts.pool.process`. */
  poolProcess?: number;
  /** A module's `replicas.max`. */
  replicasMax?: number;
  /** `resources.limits.memoryMb` (options or config file). */
  memoryMb?: number;
}

/** One warm host per this many CPUs allowed (at least 1, at most {@link MAX_POOL}). */
const CPUS_PER_WARM_HOST = 4;
const MAX_POOL = 4;
/** Below this memory limit, in MiB, no blank process is kept (one costs about 40-50 MB resident). */
const MIN_MIB_FOR_WARM_PROCESS = 512;
const MIB = 1024 * 1024;

/**
 * The defaults that follow from the environment, each with where it came from and why; a field
 * of `explicit` wins. Pure: the same matrix and settings always give the same defaults.
 *
 * - `replicas.max`: the whole CPUs allowed (the cgroup's quota, else `os.availableParallelism()`), at least 1.
 * - warm pools: one blank host per 4 CPUs allowed (1 to 4), none of a kind that cannot start
 *   here; no blank process under 1 CPU or under a 512 MiB memory limit.
 * - `resources.limits.memoryMb`: half of the cgroup's memory limit (one module cannot take the
 *   whole container down with it); none without a cgroup limit.
 * - process isolation: worker threads where child processes cannot be started.
 */
export function adaptDefaults(
  capabilities: CapabilityMatrix,
  explicit: ExplicitSettings = {},
): AdaptedDefaults {
  const { cpu, memory, threads, childProcesses } = capabilities;
  const cpus = cpu.cpus;
  const whole = Math.max(1, Math.floor(cpus));
  const quotaFile = cpu.evidence.find((e) => /cpu\.(max|cfs_quota_us)$/.test(e.source));
  const cpuWhy =
    cpu.cgroupCpus !== null && quotaFile !== undefined && cpu.cgroupCpus < cpu.parallelism
      ? `cgroup ${path.posix.basename(quotaFile.source)} allows ${formatCpus(cpus)} CPU${cpus === 1 ? "" : "s"}`
      : `${cpu.parallelism} CPU${cpu.parallelism === 1 ? "" : "s"} available (os.availableParallelism)`;
  const pool = Math.min(MAX_POOL, Math.max(1, Math.floor(cpus / CPUS_PER_WARM_HOST)));
  const poolWhy = `${cpuWhy}: one warm host per ${CPUS_PER_WARM_HOST} CPUs, at least 1`;
  const limitMib = memory.cgroupLimitBytes === null ? null : Math.floor(memory.cgroupLimitBytes / MIB);

  const poolWorker: AdaptedDefault<number> = !threads.available
    ? {
        setting: "hosts.pool.worker",
        value: 0,
        source: "adapted",
        why: `worker threads unavailable: ${threads.detail}`,
      }
    : { setting: "hosts.pool.worker", value: pool, source: pool === 1 ? "default" : "adapted", why: poolWhy };

  let poolProcess: AdaptedDefault<number>;
  if (!childProcesses.available)
    poolProcess = {
      setting: "hosts.pool.process",
      value: 0,
      source: "adapted",
      why: `child processes unavailable: ${childProcesses.detail}`,
    };
  else if (cpus < 1)
    poolProcess = {
      setting: "hosts.pool.process",
      value: 0,
      source: "adapted",
      why: `${cpuWhy}: no blank process is kept starting in the background`,
    };
  else if (limitMib !== null && limitMib < MIN_MIB_FOR_WARM_PROCESS)
    poolProcess = {
      setting: "hosts.pool.process",
      value: 0,
      source: "adapted",
      why: `cgroup memory limit ${limitMib} MiB is under ${MIN_MIB_FOR_WARM_PROCESS} MiB: no blank process is kept`,
    };
  else
    poolProcess = {
      setting: "hosts.pool.process",
      value: pool,
      source: pool === 1 ? "default" : "adapted",
      why: poolWhy,
    };

  const replicasMax: AdaptedDefault<number> = {
    setting: "replicas.max",
    value: whole,
    source: "adapted",
    why: cpuWhy,
  };

  const memoryMb: AdaptedDefault<number | null> =
    limitMib === null
      ? {
          setting: "resources.limits.memoryMb",
          value: null,
          source: "default",
          why: "no cgroup memory limit: none",
        }
      : {
          setting: "resources.limits.memoryMb",
          value: Math.max(1, Math.floor(limitMib / 2)),
          source: "adapted",
          why: `cgroup memory limit ${limitMib} MiB: one module may use half of it`,
        };

  const processIsolation: AdaptedDefault<"process" | "worker"> = childProcesses.available
    ? {
        setting: "isolation process",
        value: "process",
        source: "default",
        why: "child processes can be started",
      }
    : {
        setting: "isolation process",
        value: "worker",
        source: "adapted",
        why: `child processes unavailable (${childProcesses.detail}): process modules run in worker threads`,
      };

  const given = <T>(entry: AdaptedDefault<T>, value: T | undefined): AdaptedDefault<T> =>
    value === undefined
      ? entry
      : { setting: entry.setting, value, source: "explicit", why: "set in configuration" };
  return {
    poolWorker: given(poolWorker, explicit.poolWorker),
    poolProcess: given(poolProcess, explicit.poolProcess),
    replicasMax: given(replicasMax, explicit.replicasMax),
    memoryMb: given<number | null>(memoryMb, explicit.memoryMb),
    processIsolation,
  };
}

/**
 * `replicas.max` when a manifest does not set it: the whole CPUs the cgroup (else the affinity
 * mask) allows, at least 1 (see {@link adaptDefaults}).
 */
export function replicasMaxDefault(capabilities: CapabilityMatrix): number {
  return adaptDefaults(capabilities).replicasMax.value;
}
