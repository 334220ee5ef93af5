import type { Command } from "commander";
import type { LogFormat, LogLevel } from "../CliLog.js";
import { resolveGlobals, type CliContext, type GlobalOptions } from "../context.js";

/** The resolved global options (`--data-dir`, `--config`, `--log-level`, `--log-format`) as seen from subcommand `cmd`. */
export function globalsOf(cmd: Command, ctx: CliContext): GlobalOptions {
  return resolveGlobals(
    cmd.optsWithGlobals<{ dataDir?: string; config?: string; logLevel?: LogLevel; logFormat?: LogFormat }>(),
    ctx.cwd,
  );
}
