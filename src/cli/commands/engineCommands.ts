import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { withDispatchRequestOptions, type DispatchRequestOptions } from "../dispatchRequestOptions.js";

/**
 * Registers document 004's engine manager (see docs/dispatch.md): `engines` lists the running
 * host's pools, `dispatch --explain` shows how the host would pick an engine for a request,
 * and `execute` calls the engine a request picks.
 */
export function registerEngineCommands(program: Command, ctx: CliContext): void {
  program
    .command("engines")
    .description(
      "the running host's engine pools (modules with an engine section, by type): each live member's state, health, rotation, calls in flight, load and capabilities",
    )
    .option(
      "--json",
      'print JSON: [{ "type", "members": [{ "key", "id", "version", "replica", "state", "health", "inRotation", "capabilities", "labels", "weight", "maxConcurrent", "inflight", "load", "calls" }] }]',
    )
    .action(async (opts: { json?: boolean }, cmd: Command) =>
      (await import("../actions/engineActions.js")).listEngines(ctx, opts, cmd),
    );

  withDispatchRequestOptions(
    program
      .command("dispatch")
      .description(
        "with --explain: how the running host would pick an engine for a request: every live engine, eligible or why not, document 004's score factor by factor and the one picked; calls nothing",
      )
      .option(
        "--explain",
        "explain the choice (the only thing dispatch does; chipset execute makes the call)",
      ),
  )
    .option(
      "--json",
      'print JSON: { "strategy", "request", "picked", "pickKnown", "candidates": [{ "key", "eligible", "excluded", "score": { "factors", "weights", "total" }, "picked", ... }] }',
    )
    .action(async (opts: DispatchRequestOptions & { explain?: boolean; json?: boolean }, cmd: Command) =>
      (await import("../actions/engineActions.js")).explainDispatch(ctx, opts, cmd),
    );

  withDispatchRequestOptions(
    program
      .command("execute")
      .description(
        "call a method on the engine a request picks (by --strategy, default score), starting the pool when none runs, or with --on on one named engine instance: on the running host if there is one, else in this process",
      )
      .option(
        "--on <key>",
        "call the engine instance at this key (id@version, #replica after the first; see chipset engines) without dispatch",
      )
      .argument("<method>", "a method of the engines' api")
      .argument(
        "[args...]",
        "arguments, each a JSON value (quote strings: '\"hello\"'; put -- before negative numbers)",
      ),
  )
    .option("--json", 'print JSON: { "result": value }')
    .action(
      async (
        method: string,
        rawArgs: string[],
        opts: DispatchRequestOptions & { on?: string; json?: boolean },
        cmd: Command,
      ) => (await import("../actions/engineActions.js")).execute(ctx, method, rawArgs, opts, cmd),
    );
}
