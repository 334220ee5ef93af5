import type { Command } from "commander";
import type { CliContext } from "../context.js";

/** Registers `call <id> <method> [json-arg...]`. */
export function registerCallCommand(program: Command, ctx: CliContext): void {
  program
    .command("call")
    .description(
      "call a method of a module, loading and starting it (and its dependencies) on demand: on the running host if there is one, else in this process",
    )
    .argument("<ref>", "id or id@range")
    .argument("<method>", "a method of the module's api")
    .argument(
      "[args...]",
      "arguments, each a JSON value (quote strings: '\"hello\"'; put -- before negative numbers)",
    )
    .option("--json", 'print JSON: { "result": value }')
    .action(async (ref: string, method: string, rawArgs: string[], opts: { json?: boolean }, cmd: Command) =>
      (await import("../actions/callAction.js")).callModule(ctx, ref, method, rawArgs, opts, cmd),
    );
}
