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

/**
 * The last `count` records of the log `name` (default `modules.log`, with its rotated files) in
 * `dir` that pass `filter`, oldest first, and where the current file's whole lines ended (for
 * `--follow`; undefined when there is no file yet). Reads the files newest first and stops once
 * it has enough; lines that are not records (a torn last line of a killed host) are skipped.
 */
export async function lastEntries(
  dir: string,
  filter: LogFilter,
  count: number,
  name: string = MODULE_LOG,
): Promise<{ entries: LogEntry[]; position: LogPosition | undefined }> {
  const found: LogEntry[][] = [];
  let total = 0;
  let position: LogPosition | undefined;
  const current = join(dir, name);
  for (const file of logFilesOf(dir, name).reverse()) {
    if (total >= count && file !== current) break;
    const read = await readWholeLines(file, 0);
    if (file === current && read.ino !== undefined) position = { ino: read.ino, offset: read.bytes };
    const entries = entriesOf(read.text, filter);
    const wanted = entries.slice(Math.max(0, entries.length - (count - total)));
    found.unshift(wanted);
    total += wanted.length;
  }
  return { entries: found.flat(), position };
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
