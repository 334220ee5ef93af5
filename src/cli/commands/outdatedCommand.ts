import type { Command } from "commander";
import { lookWithRuntime, type CliContext } from "../context.js";
import { table } from "../format.js";
import { globalsOf } from "./globals.js";

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
    .action(async (ids: string[], opts: { json?: boolean }, cmd: Command) => {
      const report = await lookWithRuntime(globalsOf(cmd, ctx), ctx, (runtime) =>
        runtime.checkUpdates(ids.length === 0 ? {} : { ids }),
      );
      for (const { id, source, error } of report.failures)
        ctx.out.note(
          `could not look at ${source}${id === null ? "" : ` for ${id}`}: ${error.code}: ${error.message}`,
        );
      if (opts.json) return ctx.out.json(report.outdated);
      if (report.outdated.length === 0) {
        const some = report.failures.length > 0 ? ", as far as the sources that answered tell" : "";
        return ctx.out.line(`every module is up to date${some}`);
      }
      ctx.out.lines(
        table(
          ["ID", "CURRENT", "WANTED", "LATEST", "SOURCE"],
          report.outdated.map((m) => [m.id, m.current, m.wanted, m.latest, m.source]),
        ),
      );
    });
}
