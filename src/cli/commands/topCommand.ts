import { Option, type Command } from "commander";
import type { TopOptions } from "../actions/topAction.js";
import type { CliContext } from "../context.js";
import { MIN_TOP_INTERVAL_MS } from "./defaults.js";
import { DEFAULT_TOP_INTERVAL_MS } from "./defaults.js";
import { topSorts } from "../choices.js";

/** Registers `top`: a live table of the host's modules and the machine, like `pm2 monit`. */
export function registerTopCommand(program: Command, ctx: CliContext): void {
  program
    .command("top")
    .description(
      "a live table of the running host's modules, like pm2 monit: the machine's load, CPU, memory, disk and network, and per module CPU %, memory, heap, event loop, disk and network rates, calls/s, p99 and errors",
    )
    .option(
      "--interval <ms>",
      `how often to read the host, in ms (at least ${MIN_TOP_INTERVAL_MS}; default ${DEFAULT_TOP_INTERVAL_MS})`,
    )
    .addOption(
      new Option("--sort <key>", "order of the rows, largest first (id: by name)")
        .choices(topSorts)
        .default("cpu"),
    )
    .option("--once", "read the host twice, one interval apart (for calls/s), print that snapshot and exit")
    .option(
      "--json",
      "print JSON: { system, modules: [{ id, version, state, isolation, pid, threadId, cpuPercent, memoryBytes, heapUsedBytes, elu, fsReadBps, fsWriteBps, netInBps, netOutBps, calls, callsPerSecond, p99Ms, failedCalls }] }; one document per line per interval, or one with --once",
    )
    .action(async (opts: TopOptions, cmd: Command) =>
      (await import("../actions/topAction.js")).top(ctx, opts, cmd),
    );
}
