/** One line of pino's JSON output, as the readers of the host's log files take it. */
export interface LogRecord {
  level: number;
  /** Epoch ms. */
  time: number;
  msg?: string;
  /** `id@version` of the module that logged it (or whose output it is). */
  module?: string;
  /** `stdout` or `stderr` for a line a worker or process module wrote to its console. */
  stream?: string;
  /** An error, as pino's serializer writes it. */
  err?: { type?: string; message?: string; stack?: string };
  [field: string]: unknown;
}

/** pino's level names by number, least severe first. */
export const LOG_LEVELS: Readonly<Record<number, LogLevelName>> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};

/** A level's name, as pino writes it. */
export type LogLevelName = "trace" | "debug" | "info" | "warn" | "error" | "fatal";

/** Every level's name, least severe first. */
export const LOG_LEVEL_NAMES: readonly LogLevelName[] = Object.freeze(Object.values(LOG_LEVELS));

/** pino's number of level `name` (`info`: 30). */
export function levelNumber(name: LogLevelName): number {
  return (LOG_LEVEL_NAMES.indexOf(name) + 1) * 10;
}

/** The name of level number `level`; `level<n>` for a custom one. */
export function levelName(level: number): string {
  return LOG_LEVELS[level] ?? `level${level}`;
}

/** Parses one JSON line written by pino; undefined when it is not a record. */
export function parseLogRecord(line: string): LogRecord | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    if (typeof value !== "object" || value === null) return undefined;
    const record = value as Partial<LogRecord>;
    return typeof record.level === "number" && typeof record.time === "number"
      ? (record as LogRecord)
      : undefined;
  } catch {
    return undefined;
  }
}
