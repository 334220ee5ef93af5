import type { Command } from "commander";
import type { CliContext } from "../context.js";

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
    .action(async (opts: { kind?: string; search?: string; json?: boolean }, cmd: Command) =>
      (await import("../actions/queryActions.js")).listModules(ctx, opts, cmd),
    );

  program
    .command("info")
    .description(
      "everything known about one module version (the highest when none is given); with a host running, its live figures too",
    )
    .argument("<ref>", "id or id@version")
    .option("--json", "print JSON (with a host: also instances, every live version, and breakers)")
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) =>
      (await import("../actions/queryActions.js")).showInfo(ctx, ref, opts, cmd),
    );

  program
    .command("order")
    .description(
      "the load order of modules and their dependencies, level by level (a level loads in parallel)",
    )
    .argument("<refs...>", "ids or id@range")
    .option("--json", 'print JSON: { "order": [ids], "levels": [[ids], ...] }')
    .action(async (refs: string[], opts: { json?: boolean }, cmd: Command) =>
      (await import("../actions/queryActions.js")).showOrder(ctx, refs, opts, cmd),
    );
}
