import type { Command } from "commander";
import type { CliContext } from "../context.js";

/** Registers `chaos run FILE`: run an experiment and report whether its hypothesis held. */
export function registerChaosCommand(program: Command, ctx: CliContext): void {
  const chaos = program
    .command("chaos")
    .description("chaos experiments: inject faults on purpose and check that the runtime copes");
  chaos
    .command("run")
    .description(
      "run an experiment file (JSON or YAML): check its hypothesis before, during and after its faults, write a report; exit 3 if it did not hold, 1 if it could not run",
    )
    .argument("<file>", "the experiment (see docs/chaos.md)")
    .option(
      "--report <file>",
      "where to write the JSON report (default: <data dir>/chaos/<file name>.json; a .txt summary goes beside it)",
    )
    .option("--json", "print the report as JSON instead of the summary")
    .action(async (file: string, opts: { report?: string; json?: boolean }, cmd: Command) =>
      (await import("../actions/chaosAction.js")).runChaos(ctx, file, opts, cmd),
    );
}
