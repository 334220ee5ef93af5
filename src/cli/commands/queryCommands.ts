import type { Command } from "commander";
import { lookWithRuntime, type CliContext } from "../context.js";
import { describeInfo } from "../describeInfo.js";
import { liveTable } from "../describeLive.js";
import { table } from "../format.js";
import { connectHost, QUERY_TIMEOUT_MS } from "../hostTarget.js";
import { globalsOf } from "./globals.js";

/** Registers `ls`, `info` and `order`: read-only questions about the registry. */
export function registerQueryCommands(program: Command, ctx: CliContext): void {
  program
    .command("ls")
    .description(
      "list registered module versions; with a host running, as it runs them: state, host, pid, calls, restarts, CPU %, memory, uptime",
    )
    .option("--kind <kind>", "only modules of this kind")
    .option("--search <words>", "only modules whose id, description or keywords match every word")
    .option(
      "--json",
      "print JSON: [{ id, version, kind, description, keywords, activation, isolation, source, state, ready }], with a host also instance ({ version, state, host: { isolation, pid, threadId }, calls, uptimeMs, restarts, resources (the latest sample: cpuPercent, memoryBytes, heapUsedBytes, rssBytes, elu, fs/net B/s, totals; null until sampled), failedCalls, p99Ms } or null) and breakers",
    )
    .action(async (opts: { kind?: string; search?: string; json?: boolean }, cmd: Command) => {
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
    });

  program
    .command("info")
    .description(
      "everything known about one module version (the highest when none is given); with a host running, its live figures too",
    )
    .argument("<ref>", "id or id@version")
    .option("--json", "print JSON (with a host: also instances, every live version, and breakers)")
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
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
    });

  program
    .command("order")
    .description(
      "the load order of modules and their dependencies, level by level (a level loads in parallel)",
    )
    .argument("<refs...>", "ids or id@range")
    .option("--json", 'print JSON: { "order": [ids], "levels": [[ids], ...] }')
    .action(async (refs: string[], opts: { json?: boolean }, cmd: Command) => {
      const plan = await lookWithRuntime(globalsOf(cmd, ctx), ctx, (runtime) => runtime.queries.order(refs));
      if (opts.json) return ctx.out.json({ order: plan.order, levels: plan.levels });
      plan.keyLevels.forEach((level, i) => ctx.out.line(`level ${i}: ${level.join(", ")}`));
    });
}
