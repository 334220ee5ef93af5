import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { requireHost } from "../hostTarget.js";
import { usageError } from "../usage.js";
import { globalsOf } from "./globals.js";

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
    .action(async (ref: string, text: string, opts: { json?: boolean }, cmd: Command) => {
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
    });
}
