import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { SchemaProblem } from "../registry/describeSchemaErrors.js";
import { isValidModuleRange, isValidPackageName, isValidRange } from "../registry/manifestSchema.js";
import { isHttpUrl } from "../updates/validateUpdateConfig.js";
import { isTimeZone } from "../common/timeZone.js";
import {
  anything,
  boolean,
  falseOr,
  finite,
  func,
  integer,
  list,
  object,
  oneOf,
  record,
  shape,
  text,
  textWhere,
  withMethods,
  type ValueCheck,
} from "../registry/valueChecks.js";
import type { RuntimeOptions } from "./RuntimeOptions.js";
import type { UpdateOptions } from "./updateReport.js";

// Written by hand rather than with ajv: most options are not JSON (a clock, a logger, functions),
// and loading ajv and compiling a schema costs some 170 ms in a fresh process, where
// createRuntime() costs about 10 (every CLI command opens a runtime).

/** setTimeout overflows (and fires at once) above 2^31 - 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

const ms = (what: string) =>
  integer(1, MAX_TIMER_MS, `${what}: a positive integer number of milliseconds (at most ${MAX_TIMER_MS})`);
const msOrZero = (what: string, zero: string) =>
  integer(
    0,
    MAX_TIMER_MS,
    `${what}: a non-negative integer number of milliseconds (${zero}; at most ${MAX_TIMER_MS})`,
  );
const count = (what: string) => integer(0, undefined, `${what}: a non-negative integer`);

const MODULE_ID = "a module id (an npm package name)";

const restart = shape(
  {
    policy: oneOf(["permanent", "transient", "temporary"], '"permanent", "transient" or "temporary"'),
    maxRestarts: count("the most restarts within withinMs"),
    withinMs: ms("the restart window"),
    initialDelayMs: msOrZero("the first backoff delay", "0 restarts at once"),
    maxDelayMs: ms("the longest backoff delay"),
    resetAfterMs: msOrZero(
      "the uptime after which backoff starts again from the first delay",
      "0 makes every restart a first one",
    ),
    onDependencyCrash: oneOf(["continue", "stop", "restart"], '"continue", "stop" or "restart"'),
    jitter: finite((n) => n >= 0 && n <= 1, "the fraction of each delay taken off at random: 0 to 1"),
  },
  'an object such as { "policy": "permanent", "maxRestarts": 5, "withinMs": 60000 }',
);

// The bounds of each anomaly threshold (the detector trusts them: nothing checks them again).
const anomalies = falseOr(
  shape(
    {
      minSamples: integer(
        1,
        undefined,
        "the samples a series needs before it can fire: an integer of at least 1",
      ),
      latencyDeviations: finite((n) => n >= 0, "standard deviations: a number of at least 0"),
      latencyRatio: finite((n) => n >= 1, "a ratio to the baseline mean: a number of at least 1"),
      latencyMinRiseMs: finite((n) => n >= 0, "milliseconds: a number of at least 0"),
      errorRateRise: finite((n) => n > 0 && n <= 1, "a rise in error rate: more than 0 and at most 1"),
      sustainMs: finite((n) => n >= 0, "milliseconds: a number of at least 0"),
      memoryMbPerMin: finite((n) => n > 0, "MB per minute: a number more than 0"),
      memoryWindowMs: finite((n) => n > 0, "milliseconds: a number more than 0"),
      memoryMinGrowthMb: finite((n) => n >= 0, "MB: a number of at least 0"),
      memorySampleMs: ms("how often the heap of isolated modules is read"),
    },
    "false, or an object of anomaly thresholds such as { minSamples: 100 }",
  ),
);

/** Every field of {@link RuntimeOptions}; `calls` and `policies` contents are checked by `validateCallsConfig`. */
const runtimeOptions = shape(
  {
    dataDir: text("a directory path"),
    readOnly: boolean("true or false"),
    configFile: text("the path of a chipset.config.json"),
    moduleDirs: list(text("a directory path"), 'an array of directories such as ["./modules"]'),
    config: record(
      isValidModuleRange,
      'a module id (an npm package name), or id@range such as "video-player@^2"',
      object("a configuration object"),
      'an object mapping module ids (or id@range, for the versions in that range) to their configuration, such as { "video-player": { "bufferMs": 500 } }',
    ),
    hookTimeoutMs: ms("the hook timeout"),
    shutdownTimeoutMs: ms("the shutdown deadline"),
    idleUnloadMs: msOrZero("the idle time before unloading", "0 never unloads"),
    preload: count("the number of most used modules to preload"),
    preloadDelayMs: msOrZero("the delay before preloading", "0 preloads at once"),
    pause: shape(
      {
        maxWaiting: count("the most calls waiting while a module is paused"),
        maxWaitMs: ms("the longest a call waits for resume"),
      },
      "an object such as { maxWaiting: 1000, maxWaitMs: 30000 }",
    ),
    clock: withMethods(
      ["now", "wallNow", "setTimeout"],
      "a Clock: an object with now(), wallNow() and setTimeout()",
    ),
    logger: withMethods(
      ["child", "debug", "info", "warn", "error"],
      "a pino logger: an object with child(), debug(), info(), warn() and error()",
    ),
    logLevel: oneOf(
      ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
      '"fatal", "error", "warn", "info", "debug", "trace" or "silent"',
    ),
    hosts: shape(
      {
        pool: shape(
          { worker: count("warm worker hosts"), process: count("warm process hosts") },
          "an object such as { worker: 1, process: 1 }",
        ),
        heartbeatMs: ms("how often an isolated module reports it is alive"),
        hangTimeoutMs: ms("one window of the hang watchdog"),
        hangFailureThreshold: integer(
          1,
          1000,
          "how many silent windows in a row make a hang: an integer from 1 to 1000",
        ),
      },
      "an object such as { pool: { worker: 1, process: 1 }, heartbeatMs: 200, hangTimeoutMs: 5000, hangFailureThreshold: 3 }",
    ),
    restart,
    inlineCrashes: boolean("true or false"),
    stallMs: ms("the shortest synchronous stretch reported as a stall"),
    random: func("a function returning numbers in [0, 1)"),
    calls: anything,
    policies: record(
      isValidPackageName,
      MODULE_ID,
      anything,
      'an object mapping module ids to call policies, such as { "codec": { "timeoutMs": 500 } }',
    ),
    anomalies,
    use: record(
      isValidPackageName,
      MODULE_ID,
      textWhere(isValidRange, 'a semver version or range such as "^2.1.0"'),
      'an object mapping module ids to the range the application uses, such as { "lib": "^2" }',
    ),
    overrides: record(
      isValidPackageName,
      MODULE_ID,
      textWhere(isValidRange, 'a semver version or range such as "1.6.0"'),
      'an object mapping module ids to the version every dependent gets, such as { "lib": "1.6.0" }',
    ),
    triggers: shape(
      {
        timeZone: textWhere(isTimeZone, 'an IANA time zone such as "Europe/Paris" or "UTC"'),
        idleUnloadMs: msOrZero("the idle time before a module with triggers is unloaded", "0 never unloads"),
      },
      'an object such as { timeZone: "Europe/Paris", idleUnloadMs: 60000 }',
    ),
    resources: shape(
      {
        sampleMs: msOrZero("how often resources are sampled", "0 turns sampling off"),
        limits: shape(
          {
            memoryMb: finite((n) => n > 0, "megabytes: a number more than 0"),
            cpuPercent: finite((n) => n > 0, "a percentage of one CPU: a number more than 0"),
            diskMbPerMin: finite((n) => n > 0, "megabytes per minute: a number more than 0"),
            networkMbPerMin: finite((n) => n > 0, "megabytes per minute: a number more than 0"),
            warnAt: finite((n) => n > 0 && n <= 1, "a fraction of the limit: more than 0, at most 1"),
            action: oneOf(["warn", "restart", "stop"], '"warn", "restart" or "stop"'),
          },
          'an object such as { memoryMb: 512, cpuPercent: 90, warnAt: 0.8, action: "warn" }',
        ),
        rawRetentionMs: ms("how long raw samples are kept"),
        rollupRetentionMs: ms("how long one-minute roll-ups are kept"),
        maxRows: integer(1000, 100_000_000, "the most sample rows kept: an integer from 1000 to 100000000"),
        reportEveryMs: msOrZero("how often a report is made", "0 never"),
      },
      "an object such as { sampleMs: 1000, limits: { memoryMb: 512 }, reportEveryMs: 3600000 }",
    ),
    dispatch: shape(
      {
        strategy: text('a strategy name such as "score"'),
        defaultEngineType: text('an engine type such as "wasm"'),
        maxEngines: count("the most engine instances live at once (0: no limit)"),
        startTimeoutMs: ms("how long a pool may take to start"),
        stopTimeoutMs: ms("how long a leaving replica or engine may take to finish its calls"),
        maxQueue: count("calls held per pool while every engine is busy"),
        requestTimeoutMs: msOrZero("the longest an execute call may take", "0: none"),
      },
      'an object such as { strategy: "score", maxEngines: 8, maxQueue: 1000, requestTimeoutMs: 5000 }',
    ),
    environment: shape(
      {
        root: text("a directory standing for / (a path)"),
        env: record(() => true, "a variable name", text("a string"), "an object of environment variables"),
      },
      'an object such as { root: "/", env: { CI: "true" } }',
    ),
  },
  'an object of runtime options such as { dataDir: ".chipset" }',
);

/** Every field of {@link UpdateOptions}, the canary's bounds included. */
const updateOptions = shape(
  {
    from: text("a module directory or an npm pack tarball (.tgz)"),
    version: textWhere(isValidRange, 'a semver version or range such as "^2.1.0"'),
    integrity: text('an SRI string such as "sha512-..."'),
    drainTimeoutMs: msOrZero("how long in-flight calls may finish at the switch", "0 does not wait"),
    graceMs: msOrZero("the watch after the switch", "0 does not watch"),
    strategy: oneOf(["blue-green", "canary"], '"blue-green" or "canary"'),
    canary: shape(
      {
        percent: finite((n) => n > 0 && n <= 100, "the share of calls in %: more than 0 and at most 100"),
        durationMs: ms("how long the canary lasts"),
        maxErrorRate: finite((n) => n >= 0 && n <= 1, "an error rate: 0 to 1"),
        maxP99Ms: finite((n) => n > 0, "milliseconds: a number more than 0"),
      },
      "an object such as { percent: 10, durationMs: 60000, maxErrorRate: 0.01, maxP99Ms: 500 }",
    ),
    signal: withMethods(["addEventListener", "removeEventListener"], "an AbortSignal"),
    registry: textWhere(isHttpUrl, 'an http: or https: registry URL such as "https://registry.npmjs.org/"'),
    onStep: func("a function called with each step's name"),
  },
  'an object of update options such as { from: "./modules/codec", graceMs: 10000 }',
);

/**
 * Checks `options` given to `runtime.update` (or `rollback`): every field's type and range, no
 * unknown field, and `canary` only with `strategy: "canary"`. Throws `CHIP_ERR_OPTIONS_INVALID`
 * naming the field before anything is fetched, installed or started.
 */
export function validateUpdateOptions(options: unknown): UpdateOptions {
  check(updateOptions, options, "", "update options", "nothing was changed");
  const { strategy, canary } = options as UpdateOptions;
  if (canary !== undefined && strategy !== "canary")
    throw new ChipsetError(
      ErrorCodes.OPTIONS_INVALID,
      `Invalid update options: "canary" is set but "strategy" is ${strategy === undefined ? "not set (blue-green)" : `"${strategy}"`}; ` +
        'add strategy: "canary" to run a canary, or remove "canary". Nothing was changed.',
      { details: { field: "canary", expected: 'strategy: "canary"', found: strategy ?? "blue-green" } },
    );
  return options as UpdateOptions;
}

/**
 * Checks `options` given to `createRuntime`: every field's type and range, and no unknown field
 * (with the closest known name as a hint). Throws `CHIP_ERR_OPTIONS_INVALID` naming the first
 * field, what it expected and what it found (`details.errors` has every problem); nothing has
 * been opened or written by then.
 */
export function validateOptions(options: unknown): RuntimeOptions {
  return check(runtimeOptions, options, "", "runtime options") as RuntimeOptions;
}

/**
 * Checks the `defaults` section of a config file with the same rules as the options it feeds
 * (`hookTimeoutMs`, `shutdownTimeoutMs`, `idleUnloadMs`, `preload`); fields are named `defaults.*`.
 */
export function validateConfigDefaults(defaults: unknown, file: string): void {
  check(runtimeOptions, defaults, "defaults", `config file ${file}`, undefined, { file });
}

function check(
  checker: ValueCheck,
  value: unknown,
  base: string,
  what: string,
  consequence = "nothing was opened or written",
  details: Record<string, unknown> = {},
): unknown {
  const problems: SchemaProblem[] = [];
  checker(value, base, problems);
  const [first, ...more] = problems;
  if (first === undefined) return value;
  const rest = more.length > 0 ? ` (and ${more.length} more: ${more.map((p) => p.message).join("; ")})` : "";
  throw new ChipsetError(
    ErrorCodes.OPTIONS_INVALID,
    `Invalid ${what}: ${first.message}${rest}. Fix or remove the option; ${consequence}.`,
    {
      details: {
        ...details,
        field: first.field,
        expected: first.expected,
        found: first.found,
        errors: problems,
      },
    },
  );
}
