import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Runtime } from "../runtime/Runtime.js";
import type { ShutdownReport } from "../runtime/shutdown.js";
import type { CliLog, FailureRecords, LogFormat, LogLevel } from "./CliLog.js";
import type { Output } from "./output.js";

/** The file `--config` defaults to, in the working directory, when it exists. */
export const DEFAULT_CONFIG_FILE = "chipset.config.json";

/** The data directory `--data-dir` defaults to. */
export const DEFAULT_DATA_DIR = ".chipset";

/** `--log-level` when not given: a module's `ctx.log.info` and console output reach the person running it. */
export const DEFAULT_LOG_LEVEL: LogLevel = "info";

/** `--log-format` when not given: the CLI's output is for people. */
export const DEFAULT_LOG_FORMAT: LogFormat = "text";

/** The global options, resolved to absolute paths. */
export interface GlobalOptions {
  dataDir: string;
  /** Undefined when `--config` was not given and `./chipset.config.json` does not exist. */
  configFile: string | undefined;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** `--host URL`: the host whose API the commands talk to, instead of the one `host.json` names. */
  host: string | undefined;
  /** `--token-file`, resolved: the API's bearer token (the one `start` serves with, or `--host` is sent). */
  tokenFile: string | undefined;
  /** `--offline`: work on the data directory in this process even when a host serves it. */
  offline: boolean;
}

/** The global options as commander parses them. */
export interface RawGlobals {
  dataDir?: string;
  config?: string;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  host?: string;
  tokenFile?: string;
  offline?: boolean;
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

/** Applies the defaults of the global options (see {@link DEFAULT_CONFIG_FILE} and the others). */
export function resolveGlobals(raw: RawGlobals, cwd: string): GlobalOptions {
  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE);
  return {
    dataDir: resolve(cwd, raw.dataDir ?? DEFAULT_DATA_DIR),
    configFile:
      raw.config !== undefined ? resolve(cwd, raw.config) : existsSync(fallback) ? fallback : undefined,
    logLevel: raw.logLevel ?? DEFAULT_LOG_LEVEL,
    logFormat: raw.logFormat ?? DEFAULT_LOG_FORMAT,
    host: raw.host,
    tokenFile: raw.tokenFile === undefined ? undefined : resolve(cwd, raw.tokenFile),
    offline: raw.offline === true,
  };
}

/** A runtime opened by the CLI, and the log its lines go through. */
export interface CliRuntime {
  runtime: Runtime;
  log: CliLog;
}

/** A second destination of the runtime's log records, at a level of its own (the host's log file). */
export interface LogCopy {
  stream: { write(line: string): void };
  level: Exclude<LogLevel, "silent">;
}

/**
 * Creates the runtime the CLI works with: the global options, its log on `ctx.out`'s stderr at
 * `--log-level` in `--log-format` (see {@link FailureRecords} for `failures`), and in `copy` at
 * its own level whatever `--log-level` says. Imported on demand so that help and usage errors do
 * not pay for loading the runtime (SQLite, ajv, pino).
 */
export async function openRuntime(
  globals: GlobalOptions,
  ctx: CliContext,
  failures: FailureRecords,
  readOnly = false,
  copy?: LogCopy,
): Promise<CliRuntime> {
  const [{ createRuntime }, { pino }, { CliLog }] = await Promise.all([
    import("../runtime/createRuntime.js"),
    import("pino"),
    import("./CliLog.js"),
  ]);
  const log = new CliLog(globals.logFormat, (text) => ctx.out.rawError(text), failures);
  const logger =
    copy === undefined
      ? pino({ level: globals.logLevel }, log)
      : pino(
          { level: lowerLevel(globals.logLevel, copy.level) },
          pino.multistream([
            ...(globals.logLevel === "silent" ? [] : [{ level: globals.logLevel, stream: log }]),
            { level: copy.level, stream: copy.stream },
          ]),
        );
  const runtime = createRuntime({
    dataDir: globals.dataDir,
    configFile: globals.configFile,
    logger,
    ...(readOnly ? { readOnly } : {}),
  });
  return { runtime, log };
}

/** The less severe of two levels (the one that lets more through). */
function lowerLevel(a: LogLevel, b: LogLevel): LogLevel {
  const order: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];
  return order.indexOf(a) <= order.indexOf(b) ? a : b;
}

/**
 * Runs `fn` with a fresh runtime and always closes it (stopping what `fn` started and closing
 * the database), whether `fn` succeeds or throws. A failed shutdown after a successful `fn`
 * rejects with the first failure; after a failed `fn`, `fn`'s error wins. Module failures the
 * command does not fail with are logged once it has ended.
 */
export async function withRuntime<T>(
  globals: GlobalOptions,
  ctx: CliContext,
  fn: (runtime: Runtime) => T | Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  return runWith(await openRuntime(globals, ctx, "hold", options.readOnly ?? false), fn);
}

/**
 * Like {@link withRuntime}, for commands that only look: the data directory is opened read-only
 * (nothing is written, so they work on a read-only or full disk), and what needs repair there
 * (recovery findings, damaged rows) is said on stderr with the command that fixes it.
 */
export async function lookWithRuntime<T>(
  globals: GlobalOptions,
  ctx: CliContext,
  fn: (runtime: Runtime) => T | Promise<T>,
): Promise<T> {
  const { describeRepairNeeded } = await import("./describeDoctor.js");
  return withRuntime(
    globals,
    ctx,
    (runtime) => {
      for (const line of describeRepairNeeded(runtime.registry)) ctx.out.note(line);
      return fn(runtime);
    },
    { readOnly: true },
  );
}

async function runWith<T>(
  { runtime, log }: CliRuntime,
  fn: (runtime: Runtime) => T | Promise<T>,
): Promise<T> {
  let result: T;
  try {
    result = await fn(runtime);
  } catch (err) {
    await runtime.close().catch(() => undefined);
    log.release(err);
    throw err;
  }
  let report: ShutdownReport;
  try {
    report = await runtime.close();
  } catch (err) {
    log.release(err);
    throw err;
  }
  const failure = report.failed[0];
  log.release(failure?.error);
  if (failure !== undefined) throw failure.error;
  return result;
}
