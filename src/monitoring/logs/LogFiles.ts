import { readdirSync } from "node:fs";
import { join } from "node:path";

/** The folder of the host's log files: `<data-dir>/logs`. */
export const LOGS_DIR = "logs";

/** The host's log records (modules' and Chipset's own), as pino's JSON lines; rotated as `modules.log.1`... */
export const MODULE_LOG = "modules.log";

/** What a detached host prints (its events and errors); the previous run's is kept as `host.log.1`. */
export const HOST_LOG = "host.log";

/** `<data-dir>/logs`. */
export function logsDir(dataDir: string): string {
  return join(dataDir, LOGS_DIR);
}

/** The path of rotated file `index` of `file` (`file` itself for 0, else `file.<index>`). */
export function rotatedName(file: string, index: number): string {
  return index === 0 ? file : `${file}.${index}`;
}

/**
 * The files of the log `name` in `dir`, oldest first (`modules.log.5` ... `modules.log.1`,
 * `modules.log`), as far as they exist; whatever their number, so that files kept under a
 * larger `keepFiles` are read too.
 */
export function logFilesOf(dir: string, name: string = MODULE_LOG): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const indexed: Array<{ file: string; index: number }> = [];
  for (const entry of entries) {
    if (entry === name) indexed.push({ file: join(dir, entry), index: 0 });
    else if (entry.startsWith(`${name}.`)) {
      const suffix = entry.slice(name.length + 1);
      if (/^[1-9]\d{0,5}$/.test(suffix)) indexed.push({ file: join(dir, entry), index: Number(suffix) });
    }
  }
  return indexed.sort((a, b) => b.index - a.index).map((f) => f.file);
}
