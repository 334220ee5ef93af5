import type { DispatchSettings } from "../vocabulary/dispatch.js";
import type { UpdateConfig } from "../updates/UpdateConfig.js";
import type { Logger } from "pino";
import type { Clock } from "../common/Clock.js";
import type { IntakeLimits } from "../lifecycle/IntakeGate.js";
import type { CallsConfig } from "../vocabulary/calls.js";
import type { PermissionCeilings } from "../vocabulary/permissions.js";
import type { ResourceLimits } from "../vocabulary/resources.js";
import type { AnomalyOptions } from "./Monitoring.js";
import type { RestartSettings } from "../supervision/restartPolicy.js";
import type { EnvironmentReport } from "../environment/EnvironmentReport.js";

/** Worker and process hosts. */
export interface HostOptions {
  /** Blank hosts kept started, per isolation, so isolated modules load fast. Default 1 worker, 1 process. */
  pool: { worker: number; process: number };
  /** How often an isolated module's host reports that it is alive, in ms. Default 200. */
  heartbeatMs: number;
  /**
   * One window of the hang watchdog, in ms: a window in which a host sent nothing (no heartbeat,
   * no answer) is missed. Default 5 000.
   */
  hangTimeoutMs: number;
  /**
   * Missed windows in a row after which a host (an infinite loop) is terminated as crashed
   * (`hang`): 15 s of silence with the defaults. An integer from 1 to 1000. Default 3.
   */
  hangFailureThreshold: number;
}

/**
 * Options of `createRuntime()`. Every field is optional; `createRuntime` checks each one (type,
 * range, no unknown field) and throws `CHIP_ERR_OPTIONS_INVALID` before opening anything.
 * Durations are integers of milliseconds up to 2^31 - 1 (a timer's range).
 */
export interface RuntimeOptions {
  /** Data directory (database and installed modules). Default `./.chipset`. */
  dataDir?: string;
  /**
   * Open the data directory without writing to it (default false), for looking only: nothing is
   * created, recovered, scanned or linked, `runtime.registry.lastRecovery` says what recovery would
   * do, and loading, adding or removing a module throws `CHIP_ERR_STORE_FAILED`. Works on a
   * read-only or full disk. The CLI's `ls`, `info`, `deps`, `order`, `outdated`, `errors` and `doctor` use it.
   */
  readOnly?: boolean;
  /** A `chipset.config.json` to read at start-up (module directories, per-module config, defaults). */
  configFile?: string;
  /** Module directories to scan at start-up, besides the config file's. */
  moduleDirs?: string[];
  /** Per-module configuration by id; overrides the config file's. */
  config?: Record<string, unknown>;
  /** Default hook timeout per phase, in ms (at least 1). Default 10 000. */
  hookTimeoutMs?: number;
  /** Deadline for `close()` to stop every module, in ms (at least 1). Default 10 000. */
  shutdownTimeoutMs?: number;
  /** Unload lazy modules unused for this long, in ms; 0 never. Default 0. */
  idleUnloadMs?: number;
  /** How many of the most used modules idle time preloads after `start()`. Default 3; 0 disables. */
  preload?: number;
  /** Delay after `start()` before preloading begins, in ms (0 or more). Default 200. */
  preloadDelayMs?: number;
  /** Bounds on calls waiting while a module is paused (`maxWaiting` 0 or more, `maxWaitMs` at least 1). Default 1000 calls, 30 000 ms. */
  pause?: Partial<IntakeLimits>;
  /** Clock (tests inject a ManualClock). Default the system clock. */
  clock?: Clock;
  /**
   * A pino logger; default: a pino logger at `logLevel` on stderr. It receives the runtime's
   * warnings, each module's `ctx.log` (bound to `module: "id@version"`) and, one record per line,
   * what worker and process modules write to their console (`stream: "stdout"` at info, `"stderr"` at warn).
   */
  logger?: Logger;
  /** Level of the default logger. Default `"info"` (Chipset itself logs nothing at info; modules do). */
  logLevel?: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /**
   * Worker and process hosts: warm pool sizes (0 or more), heartbeat and hang watchdog (ms, at
   * least 1; `hangFailureThreshold` an integer from 1 to 1000). See {@link HostOptions}.
   */
  hosts?: {
    pool?: Partial<HostOptions["pool"]>;
    heartbeatMs?: number;
    hangTimeoutMs?: number;
    hangFailureThreshold?: number;
  };
  /** Restart defaults for every module (each manifest's `restart` section overrides them); `jitter` from 0 to 1. */
  restart?: Partial<RestartSettings>;
  /**
   * Attribute errors that escape inline modules (and stalls) to the module, turning them into a
   * crash of that module rather than of the process. Uses AsyncLocalStorage, which makes every
   * promise in the process somewhat slower on Node 20 (not on Node 24, where it runs on
   * AsyncContextFrame unless `--no-async-context-frame` is given). Default true.
   */
  inlineCrashes?: boolean;
  /** A synchronous stretch of an inline hook or call at least this long is reported (`module.stalled`), in ms (at least 1). Default 500. */
  stallMs?: number;
  /** Random numbers in [0, 1) for backoff jitter (tests inject a seeded generator). Default `Math.random`. */
  random?: () => number;
  /**
   * Call policies for every module, below each manifest's `calls` (same shape). Default none:
   * no timeout, retry, breaker or bulkhead unless a manifest or `policies` asks for one.
   */
  calls?: CallsConfig;
  /**
   * Call policies per module id, over its manifest's `calls` (as `runtime.policies.set` would).
   * Malformed `calls` or `policies` entries throw `CHIP_ERR_POLICY_INVALID`.
   */
  policies?: Record<string, CallsConfig>;
  /** Anomaly detection thresholds (`module.anomaly` events), or `false` to turn it off. Defaults: see `anomalyDefaults`. */
  anomalies?: AnomalyOptions | false;
  /**
   * The application's own constraints by module id (over the config file's `use`): `use("lib")`
   * with `{ lib: "^2" }` answers with the highest running or installed 2.x. Each id must be installed.
   */
  use?: Record<string, string>;
  /**
   * Versions (or ranges) that replace every range on a module, pnpm-style (over the config
   * file's `overrides`): `{ lib: "1.6.0" }` runs every dependent with lib 1.6.0. Each id must be installed.
   */
  overrides?: Record<string, string>;
  /**
   * Triggers (over the config file's `triggers`): `timeZone`, the IANA time zone cron schedules
   * are read in (default the machine's); `idleUnloadMs`, how long a module with triggers stays
   * loaded without calls unless its manifest sets `idleUnloadMs` (default 60 000; 0 never unloads).
   */
  triggers?: { timeZone?: string; idleUnloadMs?: number };
  /**
   * Resource sampling (over the config file's `resources`; see docs/resources.md): `sampleMs`, how
   * often every module's CPU, memory, disk and network are read (default 1 000; 0 turns sampling,
   * limits and reports off); `limits`, every module's limits and thresholds under its manifest's;
   * `rawRetentionMs` (default one hour) and `rollupRetentionMs` (one-minute roll-ups, default a
   * week) and `maxRows` (default 1 000 000), how much history SQLite keeps; `reportEveryMs`, how
   * often `report.ready` is emitted (default an hour; 0 never).
   */
  resources?: Partial<ResourceSettings>;
  /**
   * Where environment detection looks (see docs/environment.md): `root`, the directory standing
   * for `/` (default `/`), and `env`, the environment variables (default `process.env`). Tools and
   * tests pass a fixture tree. The warm pools, the default memory limit and process isolation
   * adapt to what is found, unless `hosts.pool` and `resources.limits.memoryMb` are given.
   */
  environment?: { root?: string; env?: Record<string, string> };
  /**
   * Document 004's manager settings (over the config file's `dispatch`; see docs/dispatch.md):
   * `strategy` (default `score`) and `defaultEngineType` for a request that names none,
   * `maxEngines` (default 0: no limit), `startTimeoutMs` and `stopTimeoutMs` (30 000 each),
   * `maxQueue` per pool (default 1 000) and `requestTimeoutMs` (default 0: none).
   */
  dispatch?: Partial<DispatchSettings>;
}

/** Resource sampling, limits, retention and reports, defaults applied (see {@link RuntimeOptions.resources}). */
export interface ResourceSettings {
  /** How often every loaded module is sampled, in ms; 0: never by itself (`runtime.resources.sampleNow()` still samples). Default 1 000. */
  sampleMs: number;
  /** Every module's limits and thresholds, under each manifest's `limits`, field by field. Default none. */
  limits: ResourceLimits;
  /** How long raw samples are kept in SQLite, in ms. Default 3 600 000 (an hour). */
  rawRetentionMs: number;
  /** How long one-minute roll-ups are kept, in ms. Default 604 800 000 (a week). */
  rollupRetentionMs: number;
  /** The most sample and roll-up rows kept together; the oldest go first. Default 1 000 000. */
  maxRows: number;
  /** How often `report.ready` brings the report of the period just ended, in ms; 0 never. Default 3 600 000. */
  reportEveryMs: number;
}

/** The defaults of {@link ResourceSettings}. */
export const DEFAULT_RESOURCE_SETTINGS: Readonly<ResourceSettings> = Object.freeze({
  sampleMs: 1_000,
  limits: {},
  rawRetentionMs: 3_600_000,
  rollupRetentionMs: 7 * 24 * 3_600_000,
  maxRows: 1_000_000,
  reportEveryMs: 3_600_000,
});

/** A module with triggers is unloaded after this long without calls (scale to zero), in ms, unless told otherwise. */
export const DEFAULT_TRIGGER_IDLE_MS = 60_000;

/** The options with defaults applied. */
export interface ResolvedOptions {
  dataDir: string;
  hookTimeoutMs: number;
  shutdownTimeoutMs: number;
  idleUnloadMs: number;
  preload: number;
  preloadDelayMs: number;
  pause: IntakeLimits;
  hosts: HostOptions;
  restart: Partial<RestartSettings>;
  inlineCrashes: boolean;
  stallMs: number;
  calls: CallsConfig | undefined;
  policies: Record<string, CallsConfig>;
  anomalies: AnomalyOptions | false;
  /** The operator's ceilings on sandboxed modules' permissions (config file `permissions`). */
  permissions: PermissionCeilings;
  /** The application's constraints by module id, and where each was set (`chipset.config.json use.lib`, `options.use.lib`). */
  use: Map<string, { range: string; from: string }>;
  /** Overrides by module id, and where each was set. */
  overrides: Map<string, { range: string; from: string }>;
  /** Where new versions come from and which signatures count (config file `sources`, `trust`, `updates`). */
  updates: UpdateConfig;
  /**
   * Cron triggers' time zone (undefined: the machine's, looked up when a cron trigger first needs
   * it; ICU's start-up is not worth paying on every command), and the idle unload of modules with
   * triggers (ms).
   */
  triggers: { timeZone: string | undefined; idleUnloadMs: number };
  /** Resource sampling, limits, retention and reports. */
  resources: ResourceSettings;
  /** The module directories scanned at creation (the config file's, then the options'), absolute; watched for new versions. */
  moduleDirs: string[];
  /** What the runtime found it runs on, and the defaults adapted to it (`runtime.environment()`). */
  environment: EnvironmentReport;
  /** How `runtime.execute` picks and queues, defaults applied. */
  dispatch: DispatchSettings;
}
