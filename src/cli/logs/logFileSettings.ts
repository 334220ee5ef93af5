import type { LogsConfig } from "../../registry/ConfigFile.js";

/** A rotating log file's size before it is rotated, in bytes (10 MiB). */
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

/** How many rotated files are kept besides the current one (5: at most 60 MiB with the default size). */
export const DEFAULT_KEEP_FILES = 5;

/** The least severe level the host keeps in its log files (whatever `--log-level` shows on stderr). */
export const DEFAULT_FILE_LEVEL = "info";

/** How the host keeps its log files: the config file's `logs` section with the defaults applied. */
export type LogFileSettings = Required<LogsConfig>;

/** The config file's `logs` section (may be absent) with {@link DEFAULT_MAX_FILE_BYTES} and the other defaults applied. */
export function logFileSettings(config: LogsConfig | undefined): LogFileSettings {
  return {
    maxFileBytes: config?.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    keepFiles: config?.keepFiles ?? DEFAULT_KEEP_FILES,
    level: config?.level ?? DEFAULT_FILE_LEVEL,
  };
}
