/**
 * What a module uses of the machine, as its host counts it. Counters are cumulative since the
 * module was loaded into its host (a restart or reload starts them again from zero); gauges are
 * the value at the reading. A field is absent where the host cannot attribute it to the module
 * (an inline module shares the runtime's heap, so it has no `heapUsed`); docs/resources.md says
 * which figure is exact and which is an estimate, per isolation.
 */
export interface UsageCounters {
  /** CPU time of the module's thread (worker) or process, user + system, in µs. Absent for inline modules. */
  cpuUs?: number;
  /** Inline modules: time their hooks and calls spent in synchronous code on the runtime's thread, in µs (an estimate of their CPU time). */
  busyUs?: number;
  /** Event-loop time of the module's thread spent active, in ms (for event-loop utilisation: active / (active + idle)). Absent for inline modules. */
  eluActiveMs?: number;
  /** Event-loop time of the module's thread spent idle, in ms. Absent for inline modules. */
  eluIdleMs?: number;
  /** V8 heap in use by the module's isolate, in bytes (gauge). Absent for inline modules. */
  heapUsed?: number;
  /** V8 heap reserved by the module's isolate, in bytes (gauge). Absent for inline modules. */
  heapTotal?: number;
  /** Resident memory of the module's process, in bytes (gauge). Only for process modules (a worker shares the runtime's). */
  rss?: number;
  /** Bytes the module read through `node:fs`. */
  fsRead: number;
  /** Bytes the module wrote through `node:fs`. */
  fsWrite: number;
  /** Process modules: bytes the kernel read from storage for the process (`/proc/<pid>/io` read_bytes), where readable. */
  storageRead?: number;
  /** Process modules: bytes the kernel wrote to storage for the process (`/proc/<pid>/io` write_bytes), where readable. */
  storageWrite?: number;
  /** Bytes the module received over the network (TCP and Unix sockets it opened or accepted, HTTP and fetch requests it made). */
  netIn: number;
  /** Bytes the module sent over the network. */
  netOut: number;
}

/** A fresh set of counters at zero. */
export function zeroUsage(): UsageCounters {
  return { fsRead: 0, fsWrite: 0, netIn: 0, netOut: 0 };
}

/** The resources one sampled figure is about (the names of `limits` and of thresholds). */
export type ResourceName = "memory" | "cpu" | "disk" | "network";

/**
 * One module instance over one sampling interval: rates over the interval, gauges at its end,
 * totals since the module was loaded. `null` where the figure cannot be attributed to the module.
 */
export interface ResourceSample {
  id: string;
  version: string;
  /** Which replica, for every replica of a replicated module but the first (see docs/dispatch.md). */
  replica?: number;
  isolation: "inline" | "worker" | "process";
  /** End of the interval, in ms since the epoch (the runtime's clock). */
  at: number;
  /** Length of the interval, in ms. */
  intervalMs: number;
  /** CPU used over the interval, in % of one CPU (100 = one core busy); inline: its synchronous call time, an estimate. */
  cpuPercent: number | null;
  /** Event-loop utilisation of the module's thread over the interval, 0 to 1; null for inline modules. */
  elu: number | null;
  /** The memory the module's limits are held to, in bytes: a process's RSS, a worker's heap; null for inline modules. */
  memoryBytes: number | null;
  /** V8 heap in use, in bytes; null for inline modules. */
  heapUsedBytes: number | null;
  /** Resident memory of the module's own process, in bytes; null but for process modules. */
  rssBytes: number | null;
  /** Bytes per second read through `node:fs` over the interval. */
  fsReadBps: number;
  /** Bytes per second written through `node:fs` over the interval. */
  fsWriteBps: number;
  /** Bytes per second received over the network over the interval. */
  netInBps: number;
  /** Bytes per second sent over the network over the interval. */
  netOutBps: number;
  /** Calls the instance served over the interval (a count, not a rate); null for the machine's own sample. */
  calls: number | null;
  /**
   * Calls of the version that failed by the module's doing (it threw, timed out or crashed) over
   * the interval; null with anomaly detection off, and on every replica's sample but the one that
   * carries the version's figures (the lowest replica sampled in the round: the figure is the
   * version's, every replica together). Figures of a round without a sample of the version (an
   * instance loaded afresh after a crash) are added to its next sample.
   */
  failures: number | null;
  /**
   * The 99th percentile of the latencies of the version's successful calls over the interval (the
   * latest 1 024 per method when there were more), in ms; null when none succeeded, with anomaly
   * detection off, and on every replica's sample but the one carrying the version's figures (see
   * `failures`; after a round without a sample, the higher of the two rounds' p99s).
   */
  p99Ms: number | null;
  /** Totals since the module was loaded. */
  totals: {
    /** CPU seconds (inline: synchronous call time). */
    cpuSeconds: number;
    fsReadBytes: number;
    fsWriteBytes: number;
    netInBytes: number;
    netOutBytes: number;
  };
}

/** What a version's calls did since the previous sampling round (see {@link ResourceSample}). */
export interface IntervalCalls {
  /** Failed by the module's doing. */
  failures: number;
  /** Of the successful calls' latencies, in ms; null when none succeeded. */
  p99Ms: number | null;
}

/** What is done when a module holds a limit for two samples in a row. */
export type LimitAction = "warn" | "restart" | "stop";

/** A module's resource limits (manifest `limits`, or the config's defaults). */
export interface ResourceLimits {
  /** Memory, in MB (a process's RSS, a worker's heap); also enforced by Node or the kernel where it can be. */
  memoryMb?: number;
  /** CPU, in % of one CPU. */
  cpuPercent?: number;
  /** Bytes read and written through `node:fs`, in MB per minute. */
  diskMbPerMin?: number;
  /** Bytes received and sent over the network, in MB per minute. */
  networkMbPerMin?: number;
  /** The fraction of a limit at which `resource.warning` is emitted, 0 to 1. Default 0.8. */
  warnAt?: number;
  /** What happens when a limit is held for two samples. Default `warn`. */
  action?: LimitAction;
}

/** The instance a sample (or resource event) is about: `id@version`, and `#replica` after the first replica. */
export function sampleKey(s: {
  readonly id: string;
  readonly version: string;
  readonly replica?: number;
}): string {
  return s.replica === undefined || s.replica === 0
    ? `${s.id}@${s.version}`
    : `${s.id}@${s.version}#${s.replica}`;
}
