import type { Command } from "commander";
import { withRuntime, type CliContext } from "../context.js";
import { connectHost } from "../hostTarget.js";
import { usageError } from "../usage.js";
import { globalsOf } from "../commands/globals.js";

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

/** `chipset call`: what it does once commander has parsed its arguments (see commands/). */
export async function callModule(
  ctx: CliContext,
  ref: string,
  method: string,
  rawArgs: string[],
  opts: { json?: boolean },
  cmd: Command,
): Promise<void> {
  const args = parseJsonArgs(rawArgs);
  const globals = globalsOf(cmd, ctx);
  // With a host, its instance answers (the one `ls` shows); without one, a copy made here for this call.
  const host = connectHost(globals);
  const result = host
    ? await host.call(ref, method, args)
    : await withRuntime(globals, ctx, (runtime) => runtime.call(ref, method, args));
  if (opts.json) return ctx.out.json({ result: result ?? null });
  ctx.out.line(result === undefined ? "(no result)" : JSON.stringify(result, null, 2));
}
