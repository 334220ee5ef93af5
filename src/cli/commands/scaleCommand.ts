import type { Command } from "commander";
import type { CliContext } from "../context.js";

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
    .action(async (ref: string, text: string, opts: { json?: boolean }, cmd: Command) =>
      (await import("../actions/scaleAction.js")).scale(ctx, ref, text, opts, cmd),
    );
}

/**
 * Registers `replicas [ref] [--json]`: each replica of the running host's replicated modules (or
 * of `ref`'s module), with its state, health and why, rotation and load (`GET /v1/replicas`).
 */
export function registerReplicasCommand(program: Command, ctx: CliContext): void {
  program
    .command("replicas")
    .description(
      "show each replica of the replicated modules on the running host: state, health and why, rotation, weight and load",
    )
    .argument("[ref]", "only this module: id or id@version")
    .option("--json", "print JSON: each module's replica set with its members (runtime.replicas.list())")
    .action(async (ref: string | undefined, opts: { json?: boolean }, cmd: Command) =>
      (await import("../actions/scaleAction.js")).listReplicas(ctx, ref, opts, cmd),
    );
}
