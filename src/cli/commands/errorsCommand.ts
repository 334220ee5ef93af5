import type { Command } from "commander";
import type { CliContext } from "../context.js";

/** Registers `errors [--module ID] [--limit N] [--json]`: what the error monitor recorded. */
export function registerErrorsCommand(program: Command, ctx: CliContext): void {
  program
    .command("errors")
    .description(
      "errors recorded by the runtime (by any process on this data directory, asked of the host when one runs): counts, and the most recent with their context",
    )
    .option("--module <id>", "only errors of this module ((runtime) for those of no module)")
    .option("--limit <n>", "recent errors to show (default 20)")
    .option("--json", 'print JSON: { "counts": { byCode, byModule, total }, "recent": [...] }')
    .action(async (opts: { module?: string; limit?: string; json?: boolean }, cmd: Command) =>
      (await import("../actions/errorsAction.js")).showErrors(ctx, opts, cmd),
    );
}
