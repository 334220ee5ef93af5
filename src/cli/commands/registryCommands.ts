import type { Command } from "commander";
import type { CliContext } from "../context.js";

/** Registers `add <dir...>` and `remove <id>[@version]`: the commands that change the registry. */
export function registerRegistryCommands(program: Command, ctx: CliContext): void {
  program
    .command("add")
    .description("register module versions from directories (each copied into the data directory)")
    .argument("<dir...>", 'module directories: a package.json with a "chipset" field, and its entry file')
    .option(
      "--json",
      "print the outcome as JSON: { status, id, version, dir } (an array of them for several directories)",
    )
    .action(async (dirs: string[], opts: { json?: boolean }, cmd: Command) =>
      (await import("../actions/registryActions.js")).addModules(ctx, dirs, opts, cmd),
    );

  program
    .command("remove")
    .description("remove one version of a module, or every version when none is given")
    .argument("<ref>", "id or id@version")
    .option("--json", "print the removed versions as JSON: { id, versions }")
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) =>
      (await import("../actions/registryActions.js")).removeModule(ctx, ref, opts, cmd),
    );
}
