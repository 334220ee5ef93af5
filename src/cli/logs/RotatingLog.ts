import fs from "node:fs";
import { dirname } from "node:path";
import { rotatedName } from "../../monitoring/logs.js";

/** How much may wait for the disk before lines are dropped, in bytes (8 MiB). */
export const DEFAULT_MAX_PENDING_BYTES = 8 * 1024 * 1024;

/** Sizes of a {@link RotatingLog}. */
export interface RotatingLogOptions {
  /** A file's size before the next line goes to a fresh one, in bytes (at least 1 024). */
  maxFileBytes: number;
  /** Rotated files kept besides the current one (`file.1` newest ... `file.<keepFiles>`); 0 keeps none. */
  keepFiles: number;
  /** Lines waiting for the disk beyond this many bytes are dropped and counted. Default {@link DEFAULT_MAX_PENDING_BYTES}. */
  maxPendingBytes?: number;
}

/**
 * An append-only file of lines (pino's JSON lines: a pino destination) that rotates by size:
 * when the next line would take the file past `maxFileBytes`, `file` becomes `file.1`, `file.1`
 * becomes `file.2` and so on, the oldest beyond `keepFiles` is removed, and a fresh `file`
 * begins. Every file holds whole lines and stays within `maxFileBytes`.
 *
 * Written by hand rather than with pino's sonic-boom: its `reopen()` moves the bytes still
 * buffered into the next file, so a file's size could not be bounded; here each batch is
 * written to the file it was measured for. Writes are asynchronous, one batch at a time (the
 * lines that arrived meanwhile form the next), so the host's event loop never waits for the
 * disk; only a rotation's renames are synchronous, once per `maxFileBytes`.
 */
export class RotatingLog {
  private fd: number;
  private size: number;
  private readonly pending: string[] = [];
  private pendingBytes = 0;
  private dropped = 0;
  private writing = false;
  private closed = false;
  private idle: Array<() => void> = [];
  private readonly maxPendingBytes: number;

  /** Opens (or creates, with its folder) `file` for appending; throws when it cannot. */
  constructor(
    readonly file: string,
    private readonly options: RotatingLogOptions,
  ) {
    this.maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    fs.mkdirSync(dirname(file), { recursive: true });
    this.fd = fs.openSync(file, "a", 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  /** Queues one newline-terminated line; a line larger than a whole file is replaced by a notice. */
  write(line: string): void {
    if (this.closed) return;
    const bytes = Buffer.byteLength(line);
    if (this.pendingBytes + bytes > this.maxPendingBytes) {
      this.dropped++;
      return;
    }
    if (bytes > this.options.maxFileBytes) line = oversizeNotice(line, bytes, this.options.maxFileBytes);
    this.pending.push(line);
    this.pendingBytes += Buffer.byteLength(line);
    this.flush();
  }

  /** Resolves once every line queued so far is written. */
  drained(): Promise<void> {
    return this.writing ? new Promise<void>((resolve) => this.idle.push(resolve)) : Promise.resolve();
  }

  /** Resolves once every queued line is written and the file is closed. Idempotent. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.drained();
      fs.closeSync(this.fd);
    }
  }

  private flush(): void {
    if (this.writing || this.pending.length === 0) return;
    if (this.dropped > 0) {
      this.pending.unshift(droppedNotice(this.dropped));
      this.pendingBytes += Buffer.byteLength(this.pending[0]!);
      this.dropped = 0;
    }
    let batch = "";
    let bytes = 0;
    while (this.pending.length > 0) {
      const next = Buffer.byteLength(this.pending[0]!);
      if (this.size + bytes + next > this.options.maxFileBytes) {
        if (bytes > 0) break; // this batch fills the file; the rest goes to the next one
        if (this.size > 0) this.rotate();
      }
      batch += this.pending.shift()!;
      bytes += next;
    }
    this.pendingBytes -= bytes;
    this.size += bytes;
    this.writing = true;
    fs.write(this.fd, batch, null, "utf8", () => {
      // A failed write (a full disk) loses that batch; the host goes on, and so does the log.
      this.writing = false;
      // Lines queued meanwhile (also after close(): they are written before it resolves).
      this.flush();
      if (!this.writing) for (const resolve of this.idle.splice(0)) resolve();
    });
  }

  /**
   * Moves the files one place up and opens a fresh `file`. The open file is renamed, not closed
   * first: if a rename or the open fails (a full or read-only disk), writing goes on where it was.
   */
  private rotate(): void {
    const { keepFiles } = this.options;
    let fresh: number;
    try {
      if (keepFiles === 0) fs.rmSync(this.file, { force: true });
      else {
        fs.rmSync(rotatedName(this.file, keepFiles), { force: true });
        for (let i = keepFiles - 1; i >= 0; i--)
          renameIfThere(rotatedName(this.file, i), rotatedName(this.file, i + 1));
      }
      fresh = fs.openSync(this.file, "a", 0o600);
    } catch {
      return;
    }
    fs.closeSync(this.fd);
    this.fd = fresh;
    this.size = 0;
  }
}

function renameIfThere(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

/** A record in place of one too large for a file, keeping its level, time and module. */
function oversizeNotice(line: string, bytes: number, max: number): string {
  let record: { level?: unknown; time?: unknown; module?: unknown } = {};
  try {
    record = JSON.parse(line) as typeof record;
  } catch {
    // not a record: the notice stands alone
  }
  return `${JSON.stringify({
    level: typeof record.level === "number" ? record.level : 40,
    time: typeof record.time === "number" ? record.time : Date.now(),
    ...(typeof record.module === "string" ? { module: record.module } : {}),
    msg: `[chipset: a log line of ${bytes} bytes was dropped: over logs.maxFileBytes (${max})]`,
  })}\n`;
}

/** A record saying how many lines the disk did not keep up with. */
function droppedNotice(count: number): string {
  return `${JSON.stringify({
    level: 40,
    time: Date.now(),
    msg: `[chipset: ${count} log lines were dropped: the disk did not keep up]`,
  })}\n`;
}
