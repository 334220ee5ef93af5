import type { Command } from "commander";
import type { CliContext } from "../context.js";

/**
 * Registers `triggers [--json]`: every cron and HTTP trigger, its next run and, from the running
 * host (found as `ls` finds it; the global `--offline` reads the registry), its last outcome.
 */
export function registerTriggersCommand(program: Command, ctx: CliContext): void {
  program
    .command("triggers")
    .description(
      "the modules' cron and HTTP triggers: next run (in the configured time zone) and, from a running host, the last outcome",
    )
    .option("--json", 'print JSON: { "source": "host" | "registry", "triggers": [...] }')
    .action(async (opts: { json?: boolean }, cmd: Command) =>
      (await import("../actions/triggersAction.js")).listTriggers(ctx, opts, cmd),
    );
}
