import type { Command } from "commander";
import { lookWithRuntime, type CliContext } from "../context.js";
import { describeInfo } from "../describeInfo.js";
import { liveTable } from "../describeLive.js";
import { table } from "../format.js";
import { connectHost, QUERY_TIMEOUT_MS } from "../hostTarget.js";
import { globalsOf } from "../commands/globals.js";

/** `chipset ls`: what it does once commander has parsed its arguments (see commands/). */
export async function listModules(
  ctx: CliContext,
  opts: { kind?: string; search?: string; json?: boolean },
  cmd: Command,
): Promise<void> {
  const filter = {
    ...(opts.kind === undefined ? {} : { kind: opts.kind }),
    ...(opts.search === undefined ? {} : { search: opts.search }),
  };
  const none =
    opts.kind !== undefined || opts.search !== undefined
      ? "no module matches"
      : "no modules registered; add one with `chipset add <dir>`";
  const globals = globalsOf(cmd, ctx);
  const host = connectHost(globals);
  if (host) {
    const modules = await host.modules(filter, AbortSignal.timeout(QUERY_TIMEOUT_MS));
    if (opts.json) return ctx.out.json(modules);
    return ctx.out.lines(modules.length === 0 ? [none] : liveTable(modules));
  }
  const modules = await lookWithRuntime(globals, ctx, (runtime) => runtime.queries.list(filter));
  if (opts.json) return ctx.out.json(modules);
  if (modules.length === 0) return ctx.out.line(none);
  ctx.out.lines(
    table(
      ["ID", "VERSION", "KIND", "STATE", "DESCRIPTION"],
      modules.map((m) => [m.id, m.version, m.kind, m.state, m.description]),
    ),
  );
}

/** `chipset info`: what it does once commander has parsed its arguments (see commands/). */
export async function showInfo(
  ctx: CliContext,
  ref: string,
  opts: { json?: boolean },
  cmd: Command,
): Promise<void> {
  const globals = globalsOf(cmd, ctx);
  const host = connectHost(globals);
  if (host) {
    const detail = await host.module(ref, AbortSignal.timeout(QUERY_TIMEOUT_MS));
    if (opts.json) return ctx.out.json(detail);
    return ctx.out.lines(describeInfo(detail, detail));
  }
  const info = await lookWithRuntime(globals, ctx, (runtime) => runtime.queries.info(ref));
  if (opts.json) return ctx.out.json(info);
  ctx.out.lines(describeInfo(info));
}

/** `chipset order`: what it does once commander has parsed its arguments (see commands/). */
export async function showOrder(
  ctx: CliContext,
  refs: string[],
  opts: { json?: boolean },
  cmd: Command,
): Promise<void> {
  const plan = await lookWithRuntime(globalsOf(cmd, ctx), ctx, (runtime) => runtime.queries.order(refs));
  if (opts.json) return ctx.out.json({ order: plan.order, levels: plan.levels });
  plan.keyLevels.forEach((level, i) => ctx.out.line(`level ${i}: ${level.join(", ")}`));
}
