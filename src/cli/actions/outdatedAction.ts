import type { Command } from "commander";
import { lookWithRuntime, type CliContext } from "../context.js";
import { table } from "../format.js";
import { globalsOf } from "../commands/globals.js";

/** `chipset outdated`: what it does once commander has parsed its arguments (see commands/). */
export async function listOutdated(
  ctx: CliContext,
  ids: string[],
  opts: { json?: boolean },
  cmd: Command,
): Promise<void> {
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
}
