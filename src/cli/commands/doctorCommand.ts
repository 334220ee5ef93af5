import type { Command } from "commander";
import type { CliContext } from "../context.js";

/** Registers `doctor`: checks the data directory, and with `--repair` fixes what can be fixed. */
export function registerDoctorCommand(program: Command, ctx: CliContext): void {
  program
    .command("doctor")
    .description(
      "check the data directory (database, registry rows, installed files, leftovers of crashes); exit 1 if something is wrong",
    )
    .option(
      "--repair",
      "fix what can be fixed: finish or undo interrupted work, rebuild rows from the store, quarantine what is not Chipset's",
    )
    .option("--json", "print JSON: { dataDir, healthy, recovery, findings, repairs }")
    .action(async (opts: { repair?: boolean; json?: boolean }, cmd: Command) =>
      (await import("../actions/doctorAction.js")).runDoctor(ctx, opts, cmd),
    );
}
