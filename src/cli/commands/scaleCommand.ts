import type { Command } from "commander";
import type { CliContext } from "../context.js";

/**
 * Registers `scale <ref> <count> [--json]`: how many replicas of a module the running host runs
 * (its manifest needs `replicas`; see docs/dispatch.md). Answers once the new replicas run, or
 * the leaving ones finished their calls and stopped.
 */
export function registerScaleCommand(program: Command, ctx: CliContext): void {
  program
    .command("scale")
    .description(
      "set how many replicas of a module the running host runs (its manifest needs replicas); waits until the new ones run or the leaving ones drained",
    )
    .argument("<ref>", "the module: id or id@version")
    .argument("<count>", "how many replicas, from 1 to the module's replicas.max")
    .option("--json", 'print JSON: { "id", "version", "from", "to" }')
    .action(async (ref: string, text: string, opts: { json?: boolean }, cmd: Command) =>
      (await import("../actions/scaleAction.js")).scale(ctx, ref, text, opts, cmd),
    );
}
