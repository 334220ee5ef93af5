import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { DEFAULT_LOG_LINES } from "../commands/defaults.js";
import { printable } from "../format.js";
import { followLog, lastEntries, logsDir, moduleFilter, type LogEntry } from "../../monitoring/logs.js";
import { formatLogRecord } from "../logRecord.js";
import { usageError } from "../usage.js";
import { globalsOf } from "../commands/globals.js";

/** `chipset logs`: what it does once commander has parsed its arguments (see commands/). */
export async function showLogs(
  ctx: CliContext,
  ref: string | undefined,
  opts: { follow?: boolean; lines?: string; json?: boolean },
  cmd: Command,
): Promise<void> {
  const count = opts.lines === undefined ? DEFAULT_LOG_LINES : Number(opts.lines);
  if (!Number.isInteger(count) || count < 0)
    throw usageError(`--lines must be a non-negative integer, got ${opts.lines}`, {
      lines: opts.lines,
    });
  const dir = logsDir(globalsOf(cmd, ctx).dataDir);
  const filter = moduleFilter(ref);
  const print = (entries: LogEntry[]) => {
    for (const { line, record } of entries)
      ctx.out.raw(opts.json ? `${line}\n` : `${printable(formatLogRecord(record, true))}\n`);
  };
  const { entries, position } = await lastEntries(dir, filter, count);
  if (position === undefined && entries.length === 0 && !opts.follow)
    ctx.out.note(`no log files in ${dir}: \`chipset start\` writes them while the host runs`);
  print(entries);
  if (!opts.follow) return;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await followLog(dir, { filter, from: position, onEntries: print, signal: stop.signal });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
