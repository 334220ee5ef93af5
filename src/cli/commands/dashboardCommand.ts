import type { Command } from "commander";
import type { CliContext } from "../context.js";

/**
 * Registers `dashboard [--json] [--no-token]`: the running host's dashboard address, with its
 * token in the URL's fragment so that opening it signs the page in (a fragment never reaches a
 * server or a log; the page keeps the token for its tab and strips it from the address).
 */
export function registerDashboardCommand(program: Command, ctx: CliContext): void {
  program
    .command("dashboard")
    .description(
      "print the running host's dashboard address, signed in with its token (open it in a browser)",
    )
    .option("--no-token", "print the address without the token (the page then asks for it)")
    .option("--json", 'print JSON: { "url", "signedIn" (the address with the token, or null) }')
    .action(async (opts: { token: boolean; json?: boolean }, cmd: Command) =>
      (await import("../actions/dashboardAction.js")).dashboard(ctx, opts, cmd),
    );
}
