import type { Command } from "commander";
import type { CommonOptions, InstallOptions } from "../actions/serviceActions.js";
import { DEFAULT_LISTEN } from "../../server/listenAddress.js";
import type { CliContext } from "../context.js";
import { DEFAULT_STOP_TIMEOUT_SEC } from "./defaults.js";
import { DEFAULT_UNIT_NAME } from "./defaults.js";

/** Registers `service install` and `service uninstall`: a systemd unit that runs the host. */
export function registerServiceCommand(program: Command, ctx: CliContext): void {
  const service = program
    .command("service")
    .description(
      "run the host as a systemd service: started at boot, restarted when it fails, logs in the journal",
    );
  const common = (cmd: Command): Command =>
    cmd
      .option("--user", "a unit of your own user's systemd (~/.config/systemd/user) instead of the system's")
      .option("--name <name>", "the unit's name, <name>.service", DEFAULT_UNIT_NAME)
      .option(
        "--unit-dir <dir>",
        "where the unit file goes (default: /etc/systemd/system, or ~/.config/systemd/user with --user)",
      )
      .option("--force", "replace (or remove) a unit file that `chipset service install` did not write");
  common(service.command("install"))
    .description(
      "write a systemd unit that runs `chipset start` on this data directory, then enable and start it (systemctl daemon-reload, enable --now)",
    )
    .option(
      "--http <host:port>",
      "where the host's HTTP API listens; an address other machines reach needs the global --token-file (the host reads its bearer token there)",
      DEFAULT_LISTEN,
    )
    .option(
      "--run-as <user>",
      "the account a system unit runs the host as (default: the user running this, or $SUDO_USER under sudo)",
    )
    .option(
      "--stop-timeout <seconds>",
      "how long systemd waits for the host's graceful shutdown before it kills it",
      String(DEFAULT_STOP_TIMEOUT_SEC),
    )
    .option("--no-enable", "write the unit file only, and print the systemctl commands that enable it")
    .option("--dry-run", "print the unit on stdout and what would be done; write and run nothing")
    .action(async (opts: InstallOptions, cmd: Command) =>
      (await import("../actions/serviceActions.js")).installService(ctx, opts, cmd),
    );
  common(service.command("uninstall"))
    .description(
      "stop and disable the unit `chipset service install` wrote (systemctl disable --now), and remove it",
    )
    .action(async (opts: CommonOptions) =>
      (await import("../actions/serviceActions.js")).uninstallService(ctx, opts),
    );
}
