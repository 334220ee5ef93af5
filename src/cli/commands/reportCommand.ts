import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { DEFAULT_SINCE } from "./defaults.js";

/** Registers `report [--since 24h] [--until T] [--module REF] [--json]`: the resource report of a period. */
export function registerReportCommand(program: Command, ctx: CliContext): void {
  program
    .command("report")
    .description(
      "what each module used over a period (asked of the host when one runs, else read from the data directory): average, peak, p95 and trend of CPU, memory, disk and network, top consumers, restarts and errors",
    )
    .option(
      "--since <when>",
      "start of the period: 15m, 24h, 7d back from now, an ISO time or ms since the epoch",
      DEFAULT_SINCE,
    )
    .option("--until <when>", "end of the period, as --since (default now)")
    .option("--module <ref>", "only this module: id or id@version")
    .option("--json", "print the report as JSON (see docs/resources.md)")
    .action(async (opts: { since: string; until?: string; module?: string; json?: boolean }, cmd: Command) =>
      (await import("../actions/reportAction.js")).showReport(ctx, opts, cmd),
    );
}
