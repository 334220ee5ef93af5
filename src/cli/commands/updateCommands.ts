import type { Command } from "commander";
import type { CliContext } from "../context.js";
import type { CanaryFlags, SourceFlags, TimingFlags } from "../actions/updateActions.js";

/**
 * Registers `update` and `rollback`: they change which version of a module serves. With a host
 * (`chipset start`) on the data directory, the host does it and the command waits for the
 * outcome; without one, the new version is installed and made active for the next load. With
 * `--host`, that host does it through its API.
 */
export function registerUpdateCommands(program: Command, ctx: CliContext): void {
  const timing = (cmd: Command) =>
    cmd
      .option(
        "--drain-timeout <ms>",
        "how long in-flight calls may take to finish at the switch (default 5000)",
      )
      .option("--grace <ms>", "how long a crash or anomaly of the new version rolls it back (default 10000)")
      .option("--json", "print the update report as JSON");
  timing(
    program
      .command("update")
      .description(
        "update a module to a new version without a failed call (a running host switches to it; otherwise it becomes the version loaded next)",
      )
      .argument("<ref>", "id, or id@range for the version wanted (default: the highest there is)")
      .option("--from <path>", "a module directory or an npm pack .tgz to take the new version from")
      .option("--registry <url>", 'an npm registry to fetch from, instead of the config\'s "sources"')
      .option("--integrity <sri>", "the SRI (sha512-...) the package must match")
      .option(
        "--canary <percent>",
        "send this share of the calls (%) to the new version first, and switch only if it does as well",
      )
      .option("--canary-ms <ms>", "how long the canary lasts (default 60000)")
      .option("--max-error-rate <rate>", "the canary's highest error rate that passes, 0 to 1 (default 0.01)")
      .option(
        "--max-p99 <ms>",
        "the canary's highest p99 latency that passes (default: twice the old version's, plus 100 ms)",
      ),
  ).action(async (ref: string, opts: TimingFlags & SourceFlags & CanaryFlags, cmd: Command) =>
    (await import("../actions/updateActions.js")).update(ctx, ref, opts, cmd),
  );
  timing(
    program
      .command("rollback")
      .description("go back to the version the module's last update (or rollback) replaced, the same way")
      .argument("<id>", "a module id"),
  ).action(async (id: string, opts: TimingFlags, cmd: Command) =>
    (await import("../actions/updateActions.js")).rollback(ctx, id, opts, cmd),
  );
}
