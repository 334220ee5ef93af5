import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { usageError } from "../usage.js";

/** Parses each argument of `command` (default `call`) as JSON; a bad one is a usage error that names it and shows how to quote. */
export function parseJsonArgs(args: readonly string[], command = "call"): unknown[] {
  return args.map((text, i) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      const quoted = `'${JSON.stringify(text).replaceAll("'", "'\\''")}'`;
      throw usageError(
        `argument ${i + 1} of ${command}, ${text}, is not valid JSON (to pass a string, quote it: ${quoted})`,
        {
          argument: text,
          position: i + 1,
        },
      );
    }
  });
}

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
