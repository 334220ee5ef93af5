import { readFileSync } from "node:fs";
import { Output, type TextSink } from "./output.js";
import { buildProgram } from "./program.js";
import type { CliContext } from "./context.js";
import { fromCommanderError, isCommanderError } from "./usage.js";

/** What one invocation reads and writes; defaults are the process's own. */
export interface CliIO {
  stdout: TextSink;
  stderr: TextSink;
  /** Directory relative paths are resolved against. */
  cwd: string;
}

/**
 * Runs one `chipset` command line (`argv` without the `node` and script entries) and resolves
 * with its exit status: 0 on success, 1 on errors, 2 on usage errors, 3 when `chaos run` or
 * `bisect` ran and found the runtime failing. Never rejects.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const ctx: CliContext = { out: new Output(io.stdout, io.stderr), json: false, exitCode: 0, cwd: io.cwd };
  const program = buildProgram(ctx, packageVersion());
  try {
    await program.parseAsync([...argv], { from: "user" });
    return ctx.exitCode;
  } catch (err) {
    if (isCommanderError(err)) {
      const usage = fromCommanderError(err);
      // Commander fails before any action ran, so `ctx.json` is unset: look at the words.
      return usage === undefined ? err.exitCode : ctx.out.error(usage, wantsJson(argv));
    }
    return ctx.out.error(err, ctx.json);
  }
}

function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}

function packageVersion(): string {
  try {
    return (
      (
        JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
          version?: string;
        }
      ).version ?? "unknown"
    );
  } catch {
    return "unknown";
  }
}
