import fs from "node:fs";
import { unmetered } from "../io/ioMeters.js";
import { cpuUsOfStat } from "../procStat.js";

/** One buffer for every read: they are synchronous, so never two at once. `status` is the largest file read, under 2 KiB. */
const buffer = Buffer.alloc(8192);

/**
 * One `/proc` file read again and again through one open descriptor (a read at offset 0 gives
 * fresh contents each time): about 6 µs a read, against 30-65 µs to open, read and close it.
 * Once a read fails (the process has ended) it stays closed: a descriptor on a process that has
 * gone never reads another process that took its pid.
 */
class ProcFile {
  private fd: number | undefined = undefined;
  private failed = false;

  constructor(private readonly path: string) {}

  read(): string | undefined {
    if (this.failed) return undefined;
    try {
      // The runtime's own reads: never charged to an inline module whose call context is current.
      return unmetered(() => {
        this.fd ??= fs.openSync(this.path, "r");
        const n = fs.readSync(this.fd, buffer, 0, buffer.length, 0);
        return buffer.toString("latin1", 0, n);
      });
    } catch (err) {
      this.close();
      // The process (or its thread) has gone: never read again, its pid may be another's soon.
      // Anything else (out of descriptors for a moment) is tried again at the next read.
      const code = (err as { code?: unknown }).code;
      if (code === "ENOENT" || code === "ESRCH") this.failed = true;
      return undefined;
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = undefined;
  }
}

/**
 * What the kernel says of one child, read by this process rather than sent by the child (a module
 * can make its own report say anything): CPU time of the process (all its threads) or of one
 * thread (`tid`, a worker's), resident memory and storage bytes of the process. Each figure is
 * undefined where it cannot be read (not Linux, the child has ended, another user's `io`).
 * {@link close} when the child has ended.
 */
export class ProcStats {
  private readonly stat: ProcFile;
  private readonly status: ProcFile;
  private readonly io: ProcFile;

  /** @param tid a thread of `pid` whose CPU time alone counts (a worker's); absent: the whole process. */
  constructor(pid: number, tid?: number) {
    this.stat = new ProcFile(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`);
    this.status = new ProcFile(`/proc/${pid}/status`);
    this.io = new ProcFile(`/proc/${pid}/io`);
  }

  /** CPU time, user + system, in µs: exact to the tick (10 ms), and current while the child is busy. */
  cpuUs(): number | undefined {
    const stat = this.stat.read();
    return stat === undefined ? undefined : cpuUsOfStat(stat);
  }

  /** Resident memory of the process in bytes (VmRSS). */
  rss(): number | undefined {
    const kib = /^VmRSS:\s*(\d+)\s*kB$/m.exec(this.status.read() ?? "")?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  }

  /**
   * Bytes the process caused to be read from and written to storage (`read_bytes`,
   * `write_bytes`: the block layer's count, so nothing for files on tmpfs, and a write counted
   * when the page is dirtied).
   */
  storageIo(): { read: number; write: number } | undefined {
    const io = this.io.read();
    if (io === undefined) return undefined;
    const read = /^read_bytes:\s*(\d+)$/m.exec(io)?.[1];
    const write = /^write_bytes:\s*(\d+)$/m.exec(io)?.[1];
    return read === undefined || write === undefined
      ? undefined
      : { read: Number(read), write: Number(write) };
  }

  /** Closes the descriptors (the child has ended). */
  close(): void {
    this.stat.close();
    this.status.close();
    this.io.close();
  }
}
