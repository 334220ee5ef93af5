import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { DEFAULT_LOG_LINES } from "./defaults.js";

/** Registers `logs [ref] [--follow] [--lines N] [--json]`: the host's log files, read directly. */
export function registerLogsCommand(program: Command, ctx: CliContext): void {
  program
    .command("logs [ref]")
    .description(
      "log lines the host kept in <data-dir>/logs (each module's ctx.log and console, and Chipset's warnings), of one module (id or id@version) or all; works with or without a running host",
    )
    .option("-f, --follow", "keep printing new lines as they are written, until Ctrl-C")
    .option("-n, --lines <n>", `how many of the last lines to show first (default ${DEFAULT_LOG_LINES})`)
    .option("--json", "print the records as JSON lines, as they are in the files (pino's format)")
    .action(
      async (
        ref: string | undefined,
        opts: { follow?: boolean; lines?: string; json?: boolean },
        cmd: Command,
      ) => (await import("../actions/logsAction.js")).showLogs(ctx, ref, opts, cmd),
    );
}
