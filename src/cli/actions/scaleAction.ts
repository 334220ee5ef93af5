import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { requireHost } from "../hostTarget.js";
import { usageError } from "../usage.js";
import { globalsOf } from "../commands/globals.js";

/** `chipset scale`: what it does once commander has parsed its arguments (see commands/). */
export async function scale(
  ctx: CliContext,
  ref: string,
  text: string,
  opts: { json?: boolean },
  cmd: Command,
): Promise<void> {
  const count = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(count) || count < 1)
    throw usageError(
      `<count> takes a whole number of replicas, at least 1 (e.g. 3), not ${JSON.stringify(text)}`,
      {
        count: text,
      },
    );
  const host = requireHost(globalsOf(cmd, ctx), "scale");
  const result = await host.scale(ref, count);
  if (opts.json) return ctx.out.json(result);
  ctx.out.line(
    result.from === result.to
      ? `${result.id}@${result.version} runs ${result.to} replica${result.to === 1 ? "" : "s"} (unchanged)`
      : `${result.id}@${result.version}: ${result.from} -> ${result.to} replica${result.to === 1 ? "" : "s"}`,
  );
}
