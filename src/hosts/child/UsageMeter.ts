import fs from "node:fs";
import { performance } from "node:perf_hooks";
import type { UsageCounters } from "../../vocabulary/resources.js";
import { flushIoMeters, unmetered } from "../io/ioMeters.js";
import { cpuUsOfStat } from "../procStat.js";

/** CPU time of this thread so far, user + system, in µs; undefined where it cannot be read. */
function threadCpuUs(isolation: "worker" | "process"): number | undefined {
  if (isolation === "process") {
    // The process is the module's: its whole CPU time is.
    const { user, system } = process.cpuUsage();
    return user + system;
  }
  const proc = process as { threadCpuUsage?: () => { user: number; system: number } };
  if (proc.threadCpuUsage !== undefined) {
    const { user, system } = proc.threadCpuUsage();
    return user + system;
  }
  // Node 20-23.8: the kernel's count for this thread alone.
  try {
    // The host's own read: not the module's bytes.
    return cpuUsOfStat(unmetered(() => fs.readFileSync("/proc/thread-self/stat", "latin1")));
  } catch {
    return undefined;
  }
}

/** The kernel's id of this thread (Linux: `/proc/thread-self` links to `<pid>/task/<tid>`); 0 where unknown. */
export function kernelThreadId(): number {
  try {
    return Number(/task\/(\d+)$/.exec(fs.readlinkSync("/proc/thread-self"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * What the module in this child has used since it was loaded: CPU time of its thread or process,
 * event-loop time, heap, and the byte counters the I/O meters add to ({@link io}). Read once per
 * heartbeat; {@link reset} when a module is loaded into a child that came warm from the pool.
 */
export class UsageMeter {
  /** Bytes moved through `node:fs` and the network since the module was loaded; the I/O meters add to it. */
  readonly io = { fsRead: 0, fsWrite: 0, netIn: 0, netOut: 0 };
  private cpuBase = 0;
  private eluBase = performance.eventLoopUtilization();

  constructor(private readonly isolation: "worker" | "process") {
    this.reset();
  }

  /** Starts counting from zero (the module is being loaded). */
  reset(): void {
    flushIoMeters(); // bytes moved before the load are not the module's
    this.cpuBase = threadCpuUs(this.isolation) ?? 0;
    this.eluBase = performance.eventLoopUtilization();
    this.io.fsRead = this.io.fsWrite = this.io.netIn = this.io.netOut = 0;
  }

  /** The counters now. `heapUsed`/`rss` come from the caller's `process.memoryUsage()` (read once per heartbeat). */
  read(memory: { heapUsed: number; heapTotal: number; rss: number }): UsageCounters {
    flushIoMeters();
    const cpu = threadCpuUs(this.isolation);
    const elu = performance.eventLoopUtilization(this.eluBase);
    const usage: UsageCounters = {
      eluActiveMs: elu.active,
      eluIdleMs: elu.idle,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      ...this.io,
    };
    if (cpu !== undefined) usage.cpuUs = Math.max(0, cpu - this.cpuBase);
    // A worker's rss is the whole process's, the runtime's included: not the module's.
    if (this.isolation === "process") usage.rss = memory.rss;
    return usage;
  }
}
