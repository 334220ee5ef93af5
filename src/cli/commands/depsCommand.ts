import type { Command } from "commander";
import type { CliContext } from "../context.js";

/** Registers `deps <id> [--reverse] [--tree]`. */
export function registerDepsCommand(program: Command, ctx: CliContext): void {
  program
    .command("deps")
    .description(
      "what a module depends on (resolved to installed versions), or with --reverse what depends on it",
    )
    .argument("<ref>", "id or id@version")
    .option("--reverse", "list dependents instead of dependencies")
    .option("--tree", "follow the edges transitively and draw a tree")
    .option("--json", "print JSON (a list, or a tree with --tree)")
    .action(async (ref: string, opts: { reverse?: boolean; tree?: boolean; json?: boolean }, cmd: Command) =>
      (await import("../actions/depsAction.js")).showDeps(ctx, ref, opts, cmd),
    );
}
