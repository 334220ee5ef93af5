import fs from "node:fs";
import { unmetered } from "../io/ioMeters.js";

/**
 * Reads a /proc file: the runtime's own read, never charged to an inline module (these reads
 * may run in a timer set during an inline module's call, which carries its async context).
 */
function readProc(path: string, encoding: "utf8" | "latin1"): string {
  return unmetered(() => fs.readFileSync(path, encoding));
}

/**
 * The resident memory of process `pid` in bytes, read by this process from
 * `/proc/<pid>/status` (VmRSS), so that what the process says of itself does not count; undefined
 * where there is no such file (not Linux, the process has ended). One small synchronous read
 * (tens of microseconds).
 */
export function readRss(pid: number): number | undefined {
  if (pid <= 0) return undefined;
  let status: string;
  try {
    status = readProc(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kib = /^VmRSS:\s*(\d+)\s*kB$/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}

/** Linux reports CPU time in /proc in ticks of 1/100 s (USER_HZ, 100 on every Linux Node supports). */
const US_PER_TICK = 10_000;

/**
 * CPU time of process `pid` (all its threads, user + system), or of its thread `tid` alone, in
 * µs, from `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat`: exact to the tick (10 ms), and
 * read while the process or thread is busy; undefined where there is no such file.
 */
export function readCpuUs(pid: number, tid?: number): number | undefined {
  if (pid <= 0) return undefined;
  let stat: string;
  try {
    stat = readProc(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, "latin1");
  } catch {
    return undefined;
  }
  // Fields 14 and 15, counted after the command name in parentheses (which may hold spaces).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks * US_PER_TICK : undefined;
}

/**
 * Bytes process `pid` caused to be read from and written to storage, from `/proc/<pid>/io`
 * (`read_bytes`, `write_bytes`: the block layer's count, so nothing for files on tmpfs, and a
 * write counted when the page is dirtied); undefined where unreadable (another user's process,
 * no `/proc`).
 */
export function readStorageIo(pid: number): { read: number; write: number } | undefined {
  if (pid <= 0) return undefined;
  let io: string;
  try {
    io = readProc(`/proc/${pid}/io`, "latin1");
  } catch {
    return undefined;
  }
  const read = /^read_bytes:\s*(\d+)$/m.exec(io)?.[1];
  const write = /^write_bytes:\s*(\d+)$/m.exec(io)?.[1];
  return read === undefined || write === undefined ? undefined : { read: Number(read), write: Number(write) };
}
