import { stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { logFilesOf, MODULE_LOG } from "./LogFiles.js";
import { entriesOf, readWholeLines, type LogEntry, type LogFilter, type LogPosition } from "./readLogs.js";

/** How often `chipset logs --follow` looks for new lines, in ms. */
export const DEFAULT_FOLLOW_INTERVAL_MS = 200;

/** What {@link followLog} needs besides the folder. */
export interface FollowOptions {
  filter: LogFilter;
  /** Where the lines already shown ended; undefined starts at the beginning of the current file. */
  from: LogPosition | undefined;
  /** Told the new records that pass the filter, oldest first. */
  onEntries(entries: LogEntry[]): void;
  /** Ends the following. */
  signal: AbortSignal;
  /** Between two looks, in ms. Default {@link DEFAULT_FOLLOW_INTERVAL_MS}. */
  intervalMs?: number;
}

/**
 * Reads the lines appended to `<dir>/modules.log` as they come, every `intervalMs`, until
 * `signal` aborts (then resolves). Follows rotation: when the file has been renamed away, the
 * rest of it is read where it went (found by its inode), then the files rotated after it, then
 * the fresh file. Only whole lines are read: a line being written is read at the next look.
 */
export async function followLog(dir: string, options: FollowOptions): Promise<void> {
  const current = join(dir, MODULE_LOG);
  let position = options.from;
  const emit = (text: string) => {
    const entries = entriesOf(text, options.filter);
    if (entries.length > 0) options.onEntries(entries);
  };
  while (!options.signal.aborted) {
    const now = await stat(current).catch(() => undefined);
    if (now !== undefined) {
      if (position !== undefined && now.ino !== position.ino) {
        // Rotated since the last look: finish the old file, then whatever was rotated after it.
        const files = logFilesOf(dir).slice(0, -1);
        const inodes = await Promise.all(
          files.map((f) =>
            stat(f).then(
              (s) => s.ino,
              () => -1,
            ),
          ),
        );
        const at = inodes.indexOf(position.ino);
        if (at !== -1) {
          emit((await readWholeLines(files[at]!, position.offset)).text);
          for (const file of files.slice(at + 1)) emit((await readWholeLines(file, 0)).text);
        }
        position = undefined;
      }
      position ??= { ino: now.ino, offset: 0 };
      // A file shorter than what was read has been replaced in place: start it again.
      if (now.size < position.offset) position.offset = 0;
      const read = await readWholeLines(current, position.offset);
      position.offset += read.bytes;
      emit(read.text);
    }
    await sleep(options.intervalMs ?? DEFAULT_FOLLOW_INTERVAL_MS, undefined, {
      signal: options.signal,
    }).catch(() => undefined);
  }
}
