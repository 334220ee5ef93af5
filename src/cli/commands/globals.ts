import type { Command } from "commander";
import { resolveGlobals, type CliContext, type GlobalOptions, type RawGlobals } from "../context.js";

/** The resolved global options (`--data-dir`, `--config`, `--log-level`, `--log-format`, `--host`...) as seen from subcommand `cmd`. */
export function globalsOf(cmd: Command, ctx: CliContext): GlobalOptions {
  return resolveGlobals(cmd.optsWithGlobals<RawGlobals>(), ctx.cwd);
}
