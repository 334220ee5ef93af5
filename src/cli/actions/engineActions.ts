import type { Command } from "commander";
import { withRuntime, type CliContext } from "../context.js";
import { enginesLines, explanationLines } from "../describeEngines.js";
import { dispatchRequestOf, type DispatchRequestOptions } from "../dispatchRequestOptions.js";
import { connectHost, QUERY_TIMEOUT_MS, requireHost } from "../hostTarget.js";
import { usageError } from "../usage.js";
import { parseJsonArgs } from "./callAction.js";
import { globalsOf } from "../commands/globals.js";

/** `chipset engines`: what it does once commander has parsed its arguments (see commands/). */
export async function listEngines(ctx: CliContext, opts: { json?: boolean }, cmd: Command): Promise<void> {
  const host = requireHost(globalsOf(cmd, ctx), "engines");
  const pools = await host.engines(AbortSignal.timeout(QUERY_TIMEOUT_MS));
  if (opts.json) return ctx.out.json(pools);
  ctx.out.lines(enginesLines(pools));
}

/** `chipset dispatch --explain`: what it does once commander has parsed its arguments (see commands/). */
export async function explainDispatch(
  ctx: CliContext,
  opts: DispatchRequestOptions & { explain?: boolean; json?: boolean },
  cmd: Command,
): Promise<void> {
  if (opts.explain !== true)
    throw usageError(
      "`dispatch` needs --explain (to make the call on the engine picked, use `chipset execute`)",
    );
  const request = dispatchRequestOf(opts);
  const host = requireHost(globalsOf(cmd, ctx), "dispatch --explain");
  const explanation = await host.explainDispatch(request, AbortSignal.timeout(QUERY_TIMEOUT_MS));
  if (opts.json) return ctx.out.json(explanation);
  ctx.out.lines(explanationLines(explanation));
}

/** `chipset execute`: what it does once commander has parsed its arguments (see commands/). */
export async function execute(
  ctx: CliContext,
  method: string,
  rawArgs: string[],
  opts: DispatchRequestOptions & { on?: string; json?: boolean },
  cmd: Command,
): Promise<void> {
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
}
