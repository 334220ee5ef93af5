import type { Command } from "commander";
import { resolveGlobals, type CliContext, type GlobalOptions } from "../context.js";

/** The resolved global options (`--data-dir`, `--config`) as seen from subcommand `cmd`. */
export function globalsOf(cmd: Command, ctx: CliContext): GlobalOptions {
  return resolveGlobals(cmd.optsWithGlobals<{ dataDir?: string; config?: string }>(), ctx.cwd);
}
