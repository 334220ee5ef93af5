import fs from "node:fs";
import os from "node:os";

/**
 * The machine beside the modules (document 003's system figures): load, CPU, memory, the disk
 * of the data directory, network, and the host process itself. Rates are over the interval since
 * the previous reading; null where the platform does not say (no `/proc`, no earlier reading).
 */
export interface SystemFigures {
  /** When read, in ms since the epoch. */
  at: number;
  /** 1, 5 and 15 minute load averages (`os.loadavg()`; zeros on Windows). */
  loadAverage: [number, number, number];
  /** Logical CPUs. */
  cpus: number;
  /** Machine CPU busy over the interval, in % of all CPUs (100 = every CPU busy). */
  cpuPercent: number | null;
  memory: {
    totalBytes: number;
    /** What can be allocated without swapping (`MemAvailable`), else free memory. */
    availableBytes: number;
    usedBytes: number;
  };
  /** The file system holding the data directory; null where `statfs` is not available. */
  disk: { path: string; totalBytes: number; freeBytes: number; usedBytes: number } | null;
  /** Bytes through every interface but loopback since boot, rates over the interval, and open TCP connections; null without `/proc/net`. */
  network: {
    receivedBytes: number;
    sentBytes: number;
    receivedBps: number | null;
    sentBps: number | null;
    /** TCP connections in state ESTABLISHED, IPv4 and IPv6. */
    connections: number;
  } | null;
  /** The host process itself (the runtime, its inline modules and its worker threads). */
  process: { pid: number; rssBytes: number; heapUsedBytes: number; uptimeSeconds: number };
}

interface CpuTimes {
  busy: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** Reads a small text file (`/proc`); undefined where it cannot be read. */
type ReadText = (file: string) => string | undefined;

const readFile = (file: string): string => fs.readFileSync(file, "latin1");

function availableMemory(readText: ReadText): number {
  const kib = /^MemAvailable:\s*(\d+)\s*kB$/m.exec(readText("/proc/meminfo") ?? "")?.[1];
  return kib === undefined ? os.freemem() : Number(kib) * 1024;
}

/** Bytes received and sent by every interface but loopback since boot, from `/proc/net/dev`. */
function networkBytes(readText: ReadText): { received: number; sent: number } | undefined {
  const text = readText("/proc/net/dev");
  if (text === undefined) return undefined;
  let received = 0;
  let sent = 0;
  for (const line of text.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0 || line.slice(0, colon).trim() === "lo") continue;
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    received += Number(fields[0]);
    sent += Number(fields[8]);
  }
  return { received, sent };
}

/**
 * TCP connections in state ESTABLISHED or CLOSE-WAIT, IPv4 and IPv6: the kernel's `CurrEstab`
 * counter in `/proc/net/snmp` (one small file, whatever the number of connections).
 */
function establishedConnections(readText: ReadText): number {
  const lines = (readText("/proc/net/snmp") ?? "").split("\n").filter((l) => l.startsWith("Tcp:"));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const at = names.indexOf("CurrEstab");
  return at < 0 ? 0 : Number(values[at]) || 0;
}

function diskOf(path: string): SystemFigures["disk"] {
  try {
    const s = fs.statfsSync(path);
    const totalBytes = s.blocks * s.bsize;
    const freeBytes = s.bavail * s.bsize;
    return { path, totalBytes, freeBytes, usedBytes: totalBytes - s.bfree * s.bsize };
  } catch {
    return null;
  }
}

/**
 * Reads {@link SystemFigures}; each reading's rates are over the time since the previous one.
 * About 0.1 ms on Linux (a few small `/proc` files and one `statfs`).
 */
export class SystemMeter {
  private previous:
    { at: number; cpu: CpuTimes; net: { received: number; sent: number } | undefined } | undefined;

  private readonly readText: ReadText;

  /**
   * @param dataDir the directory whose file system is reported as `disk`.
   * @param read reads a `/proc` file (default `fs.readFileSync`; the runtime passes one that is not
   *   charged to an inline module whose call asked for the figures).
   */
  constructor(
    private readonly dataDir: string,
    read: (file: string) => string = readFile,
  ) {
    this.readText = (file) => {
      try {
        return read(file);
      } catch {
        return undefined;
      }
    };
  }

  /** Reads the machine now; `at` is the caller's clock in ms since the epoch. */
  read(at: number): SystemFigures {
    const cpu = cpuTimes();
    const net = networkBytes(this.readText);
    const before = this.previous;
    this.previous = { at, cpu, net };
    const seconds = before === undefined ? 0 : (at - before.at) / 1000;
    const dTotal = before === undefined ? 0 : cpu.total - before.cpu.total;
    const rate = (now: number, then: number | undefined): number | null =>
      then === undefined || seconds <= 0 ? null : Math.max(0, now - then) / seconds;
    const totalBytes = os.totalmem();
    const availableBytes = availableMemory(this.readText);
    const memory = process.memoryUsage();
    const [one = 0, five = 0, fifteen = 0] = os.loadavg();
    return {
      at,
      loadAverage: [one, five, fifteen],
      cpus: os.availableParallelism(),
      cpuPercent: before === undefined || dTotal <= 0 ? null : ((cpu.busy - before.cpu.busy) / dTotal) * 100,
      memory: { totalBytes, availableBytes, usedBytes: totalBytes - availableBytes },
      disk: diskOf(this.dataDir),
      network:
        net === undefined
          ? null
          : {
              receivedBytes: net.received,
              sentBytes: net.sent,
              receivedBps: rate(net.received, before?.net?.received),
              sentBps: rate(net.sent, before?.net?.sent),
              connections: establishedConnections(this.readText),
            },
      process: {
        pid: process.pid,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        uptimeSeconds: process.uptime(),
      },
    };
  }
}
