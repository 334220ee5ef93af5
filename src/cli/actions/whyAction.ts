import type { Command } from "commander";
import { lookWithRuntime, type CliContext } from "../context.js";
import { describeWhy } from "../describeWhy.js";
import { globalsOf } from "../commands/globals.js";

/** `chipset why`: what it does once commander has parsed its arguments (see commands/). */
export async function explainWhy(
  ctx: CliContext,
  id: string,
  opts: { json?: boolean; with?: string[] },
  cmd: Command,
): Promise<void> {
  const why = await lookWithRuntime(globalsOf(cmd, ctx), ctx, (runtime) =>
    runtime.queries.why(id, opts.with ?? []),
  );
  if (opts.json) return ctx.out.json(why);
  ctx.out.lines(describeWhy(why));
}
