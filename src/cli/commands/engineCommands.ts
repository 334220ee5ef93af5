import type { Command } from "commander";
import { withRuntime, type CliContext } from "../context.js";
import { enginesLines, explanationLines } from "../describeEngines.js";
import {
  dispatchRequestOf,
  withDispatchRequestOptions,
  type DispatchRequestOptions,
} from "../dispatchRequestOptions.js";
import { connectHost, QUERY_TIMEOUT_MS, requireHost } from "../hostTarget.js";
import { usageError } from "../usage.js";
import { parseJsonArgs } from "./callCommand.js";
import { globalsOf } from "./globals.js";

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
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const host = requireHost(globalsOf(cmd, ctx), "engines");
      const pools = await host.engines(AbortSignal.timeout(QUERY_TIMEOUT_MS));
      if (opts.json) return ctx.out.json(pools);
      ctx.out.lines(enginesLines(pools));
    });

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
    .action(async (opts: DispatchRequestOptions & { explain?: boolean; json?: boolean }, cmd: Command) => {
      if (opts.explain !== true)
        throw usageError(
          "`dispatch` needs --explain (to make the call on the engine picked, use `chipset execute`)",
        );
      const request = dispatchRequestOf(opts);
      const host = requireHost(globalsOf(cmd, ctx), "dispatch --explain");
      const explanation = await host.explainDispatch(request, AbortSignal.timeout(QUERY_TIMEOUT_MS));
      if (opts.json) return ctx.out.json(explanation);
      ctx.out.lines(explanationLines(explanation));
    });

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
      ) => {
        const request = dispatchRequestOf(opts);
        const on = opts.on;
        if (on !== undefined && Object.keys(request).length > 0)
          throw usageError(
            `--on names the engine itself, and ${Object.keys(request)
              .map((k) => `--${k === "capabilities" ? "capability" : k === "labels" ? "label" : k}`)
              .join(
                ", ",
              )} describe${Object.keys(request).length === 1 ? "s" : ""} one to pick: give one or the other`,
          );
        const args = parseJsonArgs(rawArgs, "execute");
        const globals = globalsOf(cmd, ctx);
        const host = connectHost(globals);
        const result =
          on !== undefined
            ? host
              ? await host.executeOn(on, method, args)
              : await withRuntime(globals, ctx, (runtime) => runtime.executeOn(on, method, ...args))
            : host
              ? await host.execute(request, method, args)
              : await withRuntime(globals, ctx, (runtime) => runtime.execute(request, method, ...args));
        if (opts.json) return ctx.out.json({ result: result ?? null });
        ctx.out.line(result === undefined ? "(no result)" : JSON.stringify(result, null, 2));
      },
    );
}
