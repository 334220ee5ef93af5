import { open } from "node:fs/promises";
import { join } from "node:path";
import { parseModuleRef } from "../../vocabulary/moduleRef.js";
import { parseLogRecord, type LogRecord } from "./logRecord.js";
import { logFilesOf, MODULE_LOG } from "./LogFiles.js";

/** One line of a log file and the record it holds. */
export interface LogEntry {
  /** The line as written, without its newline. */
  line: string;
  record: LogRecord;
}

/** Where reading a file got to: the file (by inode, which a rename keeps) and the byte after the last whole line read. */
export interface LogPosition {
  ino: number;
  offset: number;
}

/** Which records a reader keeps (`chipset logs`, `GET /v1/logs`). */
export type LogFilter = (record: LogRecord) => boolean;

/**
 * The filter for `ref`: `id` keeps every version of that module, `id@version` that version;
 * undefined keeps every record, Chipset's own included.
 */
export function moduleFilter(ref: string | undefined): LogFilter {
  if (ref === undefined) return () => true;
  const { id, version } = parseModuleRef(ref);
  if (version !== undefined) return (record) => record.module === ref;
  return (record) => typeof record.module === "string" && parseModuleRef(record.module).id === id;
}

/** The filter that keeps records at level `min` (pino's number) and above. */
export function levelFilter(min: number): LogFilter {
  return (record) => record.level >= min;
}

/** The filter that keeps what every one of `filters` keeps. */
export function allOf(...filters: LogFilter[]): LogFilter {
  return (record) => filters.every((keep) => keep(record));
}

/** How much of a file is read at a time, from its end backwards (bytes). */
const CHUNK_BYTES = 64 * 1024;

/**
 * The last `count` records of the log `name` (default `modules.log`, with its rotated files) in
 * `dir` that pass `filter`, oldest first, and where the current file's whole lines ended (for
 * `--follow`; undefined when there is no file yet). Reads each file backwards from its end in
 * 64 KiB chunks, newest file first, parsing lines only until it has `count` records: asking for
 * the last 50 lines of a 60 MiB log reads its tail, and each chunk is an await that lets other
 * requests run. Lines that are not records (a torn last line of a killed host) are skipped.
 */
export async function lastEntries(
  dir: string,
  filter: LogFilter,
  count: number,
  name: string = MODULE_LOG,
): Promise<{ entries: LogEntry[]; position: LogPosition | undefined }> {
  const found: LogEntry[] = [];
  let position: LogPosition | undefined;
  const current = join(dir, name);
  for (const file of logFilesOf(dir, name).reverse()) {
    if (found.length >= count && file !== current) break;
    const read = await scanBackwards(file, (line) => {
      if (found.length >= count) return false;
      const record = parseLogRecord(line);
      if (record !== undefined && filter(record)) found.push({ line, record });
      return found.length < count;
    });
    if (file === current && read.ino !== undefined) position = { ino: read.ino, offset: read.bytes };
  }
  return { entries: found.reverse(), position };
}

/**
 * Hands `visit` the whole lines of `file` (empty ones skipped), last first, reading backwards in
 * {@link CHUNK_BYTES} chunks, until `visit` answers false or the file's start; what follows the
 * last newline (a line still being written) is not a line. Answers the file's inode and where its
 * whole lines end; an unreadable file (removed meanwhile) reads as empty.
 */
async function scanBackwards(
  file: string,
  visit: (line: string) => boolean,
): Promise<{ bytes: number; ino?: number }> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch {
    return { bytes: 0 };
  }
  try {
    const { size, ino } = await handle.stat();
    let wholeEnd: number | undefined; // where the whole lines end, once the last newline is found
    let start = size;
    // The start of the line that ends in a chunk read before, in order (kept apart, not
    // concatenated chunk by chunk, so that a very long line costs no more than its length).
    let tail: Buffer[] = [];
    const lineOf = (piece: Buffer): string =>
      tail.length === 0 ? piece.toString("utf8") : Buffer.concat([piece, ...tail]).toString("utf8");
    while (start > 0) {
      const length = Math.min(CHUNK_BYTES, start);
      start -= length;
      const chunk = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(chunk, filled, length - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled === 0) break; // shrunk meanwhile
      let end = filled;
      if (wholeEnd === undefined) {
        const last = chunk.lastIndexOf(0x0a, filled - 1);
        if (last < 0) continue; // all of it after the last newline: not a line yet
        wholeEnd = start + last + 1;
        end = last;
      }
      while (end > 0) {
        const nl = chunk.lastIndexOf(0x0a, end - 1);
        if (nl < 0) break;
        const line = lineOf(chunk.subarray(nl + 1, end));
        tail = [];
        if (line !== "" && !visit(line)) return { bytes: wholeEnd, ino };
        end = nl;
      }
      if (end > 0) tail.unshift(chunk.subarray(0, end));
    }
    if (wholeEnd !== undefined && tail.length > 0) visit(lineOf(Buffer.alloc(0)));
    return { bytes: wholeEnd ?? 0, ino };
  } finally {
    await handle.close();
  }
}

/** The records of `text` (whole lines) that pass `filter`. */
export function entriesOf(text: string, filter: LogFilter): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const record = parseLogRecord(line);
    if (record !== undefined && filter(record)) entries.push({ line, record });
  }
  return entries;
}

/**
 * The whole lines of `file` from byte `offset` to its end, and how many bytes they take; an
 * unreadable file (removed meanwhile) reads as empty.
 */
export async function readWholeLines(
  file: string,
  offset: number,
): Promise<{ text: string; bytes: number; ino?: number }> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch {
    return { text: "", bytes: 0 };
  }
  try {
    const { size, ino } = await handle.stat();
    const length = Math.max(0, size - offset);
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const end = buffer.lastIndexOf(0x0a, filled - 1) + 1;
    return { text: buffer.toString("utf8", 0, end), bytes: end, ino };
  } finally {
    await handle.close();
  }
}
