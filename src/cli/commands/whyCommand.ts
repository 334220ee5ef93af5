import type { Command } from "commander";
import type { CliContext } from "../context.js";

/** Registers `why`: which version of a module runs, and what decided it. */
export function registerWhyCommand(program: Command, ctx: CliContext): void {
  program
    .command("why")
    .description(
      "why a module runs at its version: the version chosen, every constraint on it and who set it, and why each other installed version was not chosen",
    )
    .argument("<id>", "a module id")
    .option(
      "--with <refs...>",
      "resolve together with these modules too (ids or id@range), as if the application used them",
    )
    .option(
      "--json",
      "print JSON: { id, chosen, running, constraints, override, rejected, elsewhere, conflict }",
    )
    .action(async (id: string, opts: { json?: boolean; with?: string[] }, cmd: Command) =>
      (await import("../actions/whyAction.js")).explainWhy(ctx, id, opts, cmd),
    );
}
