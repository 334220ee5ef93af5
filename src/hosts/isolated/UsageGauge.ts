import { zeroUsage, type UsageCounters } from "../../vocabulary/resources.js";
import type { Channel } from "./Channel.js";

/**
 * What the module in one isolated host has used since it was loaded: the counters each heartbeat
 * brings (heap, event loop, the `fs` and network bytes the child counts), with the CPU time,
 * resident memory and storage bytes read by this thread from `/proc` where it can (exact, and
 * current even while the child's event loop is busy and its heartbeat late).
 */
export class UsageGauge {
  private latest: UsageCounters | undefined;
  private cpuBase: number | undefined;
  private storageBase: { read: number; write: number } | undefined;

  /** A channel was attached: its counters start now (the child resets its own when it loads the module). */
  begin(channel: Channel): void {
    this.latest = undefined;
    this.cpuBase = channel.readCpuUs();
    this.storageBase = channel.readStorageIo();
  }

  /** Takes a heartbeat's counters. */
  heartbeat(usage: UsageCounters): void {
    this.latest = usage;
  }

  /** The counters now, of `channel` (the attached one); before its first heartbeat, what `/proc` says and zeros. */
  read(channel: Channel | undefined): UsageCounters | undefined {
    if (channel === undefined) return this.latest;
    const latest = this.latest ?? zeroUsage();
    const usage = { ...latest };
    const cpu = channel.readCpuUs();
    // The child's own count is the floor: a late heartbeat's figure is older, never larger.
    if (cpu !== undefined && this.cpuBase !== undefined)
      usage.cpuUs = Math.max(cpu - this.cpuBase, latest.cpuUs ?? 0);
    const rss = channel.readRss();
    if (rss !== undefined) usage.rss = rss;
    const storage = channel.readStorageIo();
    if (storage !== undefined && this.storageBase !== undefined) {
      usage.storageRead = storage.read - this.storageBase.read;
      usage.storageWrite = storage.write - this.storageBase.write;
    }
    return usage;
  }
}
