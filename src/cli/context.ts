import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Runtime } from "../runtime/Runtime.js";
import type { Output } from "./output.js";

/** The file `--config` defaults to, in the working directory, when it exists. */
export const DEFAULT_CONFIG_FILE = "chipset.config.json";

/** The data directory `--data-dir` defaults to. */
export const DEFAULT_DATA_DIR = ".chipset";

/** The global options, resolved to absolute paths. */
export interface GlobalOptions {
  dataDir: string;
  /** Undefined when `--config` was not given and `./chipset.config.json` does not exist. */
  configFile: string | undefined;
}

/** State shared by the program and its commands during one invocation. */
export interface CliContext {
  out: Output;
  /** Set from the running command's `--json` before its action runs; errors follow it. */
  json: boolean;
  /** Exit status for a command that finished without throwing (e.g. `start` after a failed shutdown). */
  exitCode: number;
  /** Working directory that relative paths and the default files are resolved against. */
  cwd: string;
}

/** Applies the defaults of `--data-dir` and `--config` (see {@link DEFAULT_CONFIG_FILE}). */
export function resolveGlobals(raw: { dataDir?: string; config?: string }, cwd: string): GlobalOptions {
  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE);
  return {
    dataDir: resolve(cwd, raw.dataDir ?? DEFAULT_DATA_DIR),
    configFile:
      raw.config !== undefined ? resolve(cwd, raw.config) : existsSync(fallback) ? fallback : undefined,
  };
}

/**
 * Creates the runtime the CLI works with: the global options, warnings only on stderr. Imported
 * on demand so that help and usage errors do not pay for loading the runtime (SQLite, ajv, pino).
 */
export async function openRuntime(globals: GlobalOptions): Promise<Runtime> {
  const { createRuntime } = await import("../runtime/createRuntime.js");
  return createRuntime({ dataDir: globals.dataDir, configFile: globals.configFile, logLevel: "warn" });
}

/**
 * Runs `fn` with a fresh runtime and always closes it (stopping what `fn` started and closing
 * the database), whether `fn` succeeds or throws. A failed shutdown after a successful `fn`
 * rejects with the first failure; after a failed `fn`, `fn`'s error wins.
 */
export async function withRuntime<T>(
  globals: GlobalOptions,
  fn: (runtime: Runtime) => T | Promise<T>,
): Promise<T> {
  const runtime = await openRuntime(globals);
  let result: T;
  try {
    result = await fn(runtime);
  } catch (err) {
    await runtime.close().catch(() => undefined);
    throw err;
  }
  const report = await runtime.close();
  const failure = report.failed[0];
  if (failure !== undefined) throw failure.error;
  return result;
}
