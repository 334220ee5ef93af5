import type { Command } from "commander";
import type { CliContext } from "../context.js";

/** Registers `outdated`: which installed modules have a newer version in a module directory or a registry. */
export function registerOutdatedCommand(program: Command, ctx: CliContext): void {
  program
    .command("outdated")
    .description(
      "installed modules with a newer version: in the module directories of the config and where each was added from, or in the config's registries",
    )
    .argument("[ids...]", "only these module ids (default: every installed module)")
    .option("--json", "print JSON: [{ id, current, wanted, latest, source }], by id")
    .addHelpText(
      "after",
      "\ncurrent: the highest installed version; wanted: the highest the config's `use` range allows, else the same major;" +
        '\nlatest: the highest there is; source: "installed", a directory, or a registry URL.' +
        "\nA source that cannot be read is said on stderr, and the others are still shown; the exit status is 0.",
    )
    .action(async (ids: string[], opts: { json?: boolean }, cmd: Command) =>
      (await import("../actions/outdatedAction.js")).listOutdated(ctx, ids, opts, cmd),
    );
}
