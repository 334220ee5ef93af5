import type { Command } from "commander";
import type { CliContext } from "../context.js";

/** Registers `bisect`: find the modules that make the runtime unstable; exit 3 when it was. */
export function registerBisectCommand(program: Command, ctx: CliContext): void {
  program
    .command("bisect")
    .description(
      "find every module that makes the runtime unstable (crashes, failed starts, anomalies, unhealthy, failing calls) by running halves of the modules against a health check; exit 3 if the runtime was unhealthy",
    )
    .option(
      "--modules <ids>",
      "comma-separated module ids to search among (default: every registered module)",
    )
    .option(
      "--call <module.method[:json]>",
      'a call the health check makes, e.g. codec.probe:["media/clip.cvf"] (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option("--probe-ms <ms>", "how long each trial runs (default 3000)", "3000")
    .option("--rate <n>", "calls per second of each --call (default 20)", "20")
    .option("--min-success <ratio>", "share of calls that must succeed (default 1)", "1")
    .option(
      "--json",
      "print JSON: { healthy, culprits, groups, found, minimal, complete, note, trials: [{ modules, healthy, detail }] }",
    )
    .action(
      async (
        opts: {
          modules?: string;
          call: string[];
          probeMs: string;
          rate: string;
          minSuccess: string;
          json?: boolean;
        },
        cmd: Command,
      ) => (await import("../actions/bisectAction.js")).runBisect(ctx, opts, cmd),
    );
}
