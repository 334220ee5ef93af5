import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { DEFAULT_SHUTDOWN_WAIT_MS } from "./defaults.js";

/** Registers `shutdown [--timeout MS] [--json]`: stop the live host of the data directory. */
export function registerShutdownCommand(program: Command, ctx: CliContext): void {
  program
    .command("shutdown")
    .description(
      "stop the host running on this data directory gracefully (as Ctrl-C does: the API closes, modules stop in reverse order) and wait until it has exited",
    )
    .option("--timeout <ms>", `how long to wait for it to exit (default ${DEFAULT_SHUTDOWN_WAIT_MS})`)
    .option("--json", 'print JSON: { "running": bool, "pid", "url", "durationMs" }')
    .action(async (opts: { timeout?: string; json?: boolean }, cmd: Command) =>
      (await import("../actions/shutdownAction.js")).shutdown(ctx, opts, cmd),
    );
}
