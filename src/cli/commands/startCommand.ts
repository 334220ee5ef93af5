import type { Command } from "commander";
import { DEFAULT_LISTEN } from "../../server/listenAddress.js";
import type { CliContext } from "../context.js";
import { DEFAULT_READY_TIMEOUT_MS } from "./defaults.js";
import type { StartOptions } from "./startOptions.js";

/**
 * Registers `start`: without a module, run the host in the foreground until SIGINT/SIGTERM;
 * `start <ref>` starts one module on the running host, as `stop <ref>` stops it.
 */
export function registerStartCommand(program: Command, ctx: CliContext): void {
  program
    .command("start")
    .description(
      "run the host in the foreground: eager modules start, events are printed, the HTTP API serves; Ctrl-C stops in reverse order. " +
        "`start <ref>` starts that module on the running host instead",
    )
    .argument("[ref]", "a module to start on the running host (id, id@version or id@range)")
    .option(
      "--http <host:port>",
      "where the HTTP API listens (127.0.0.1:0 picks a free port); an address other machines reach needs the global --token-file (the token to serve with)",
      DEFAULT_LISTEN,
    )
    .option(
      "--detach",
      "run the host in the background (its output in <data-dir>/logs/host.log) and return once it is ready; `chipset shutdown` stops it",
    )
    .option(
      "--ready-timeout <ms>",
      `with --detach: how long to wait for the host to be ready (default ${DEFAULT_READY_TIMEOUT_MS})`,
    )
    .option(
      "--cluster <urls>",
      "join a cluster over NATS (nats://HOST:PORT or tls://HOST:PORT, comma-separated): the registry is shared with the other nodes; credentials come from the config file's `cluster` section",
    )
    .option(
      "--node <name>",
      "with --cluster: this node's name (letters, digits, _ and -; default the host name)",
    )
    .option(
      "--cluster-name <name>",
      "with --cluster: the cluster's name, when one NATS serves several (default chipset)",
    )
    .option("--json", "with <ref>: print JSON: { id, version, action, state, instance }")
    .action(async (ref: string | undefined, opts: StartOptions, cmd: Command) =>
      (await import("../actions/startAction.js")).start(ctx, ref, opts, cmd),
    );
}
