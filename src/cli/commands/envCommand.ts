import type { Command } from "commander";
import type { CliContext } from "../context.js";

/**
 * Registers `env [--json]`: what this machine is (bare metal or a virtual machine, container,
 * Kubernetes pod, WSL, serverless, CI), each verdict with its evidence; what Chipset can do here
 * (the capability matrix, with the cgroup's limits, starting one child to be sure); the defaults
 * adapted to it; and which protections of a sandboxed process module this machine provides.
 * Always detected by this command on this machine (a running host is on the same machine; its
 * own report, with the configuration it was given, is `GET /v1/environment`). Opens no data directory.
 */
export function registerEnvCommand(program: Command, ctx: CliContext): void {
  program
    .command("env")
    .description(
      "what this machine is (VM, container, Kubernetes, WSL, serverless, CI) and why, what Chipset can do here with its limits, the defaults adapted to it, and the protections of sandboxed process modules",
    )
    .option(
      "--json",
      'print JSON: { "node", "platform", "arch", "uid", "verdicts", "capabilities", "defaults", "protections": { "<name>": { "available", "detail" } } }',
    )
    .action(async (opts: { json?: boolean }, cmd: Command) =>
      (await import("../actions/envAction.js")).showEnvironment(ctx, opts, cmd),
    );
}
