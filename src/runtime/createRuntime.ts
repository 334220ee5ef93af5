import { dispatchDefaults } from "../vocabulary/dispatch.js";
import { dirname, join, resolve } from "node:path";
import { pino } from "pino";
import { systemClock } from "../common/Clock.js";
import { linkSdk } from "../hosts/sdkLink.js";
import { NO_CEILINGS } from "../instances/sandboxGrant.js";
import { loadConfigFile } from "../registry/ConfigFile.js";
import { Registry } from "../registry/Registry.js";
import { validateCallsConfig } from "../registry/validateCalls.js";
import { Database } from "../store/Database.js";
import { EMPTY_UPDATE_CONFIG } from "../updates/UpdateConfig.js";
import { validateUpdateConfig } from "../updates/validateUpdateConfig.js";
import { Runtime } from "./Runtime.js";
import type { ResourceLimits } from "../vocabulary/resources.js";
import {
  DEFAULT_RESOURCE_SETTINGS,
  DEFAULT_TRIGGER_IDLE_MS,
  type ResolvedOptions,
  type ResourceSettings,
  type RuntimeOptions,
} from "./RuntimeOptions.js";
import { validateConfigDefaults, validateOptions } from "./validateOptions.js";
import { runtimeEnvironment, withMemoryDefault } from "./runtimeEnvironment.js";

/** A section of ranges by module id from the config file and the options (which win), each with where it was set. */
function sources(
  field: "use" | "overrides",
  fromFile: Record<string, string> | undefined,
  fromOptions: Record<string, string> | undefined,
): Map<string, { range: string; from: string }> {
  const entries = new Map<string, { range: string; from: string }>();
  for (const [id, range] of Object.entries(fromFile ?? {}))
    entries.set(id, { range, from: `chipset.config.json ${field}.${id}` });
  for (const [id, range] of Object.entries(fromOptions ?? {}))
    entries.set(id, { range, from: `options.${field}.${id}` });
  return entries;
}

/**
 * Opens (or creates) the data directory, reads the config file, registers new or changed
 * modules found in the module directories, and returns a runtime that has not started yet:
 * call `start()` to bring up eager modules, or just `use()` modules on demand.
 * Directories that fail validation are reported in `runtime.lastScan.rejected`.
 * Malformed options (or config file) throw `CHIP_ERR_OPTIONS_INVALID` (`CHIP_ERR_POLICY_INVALID`
 * for malformed `calls` and `policies`) before anything is opened or written.
 */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  validateOptions(options);
  const file = options.configFile === undefined ? undefined : loadConfigFile(options.configFile);
  if (file !== undefined) validateConfigDefaults(file.defaults, file.file);
  const defaults = file?.defaults ?? {};
  const updates =
    file === undefined
      ? { ok: true as const, config: EMPTY_UPDATE_CONFIG }
      : validateUpdateConfig(file.updateFields, file.file);
  if (!updates.ok) throw updates.error;
  const dataDir = resolve(options.dataDir ?? "./.chipset");
  const resources = resourceSettings(file?.resources, options.resources);
  const environment = runtimeEnvironment(options, resources, dataDir);
  const resolved: ResolvedOptions = {
    dataDir,
    hookTimeoutMs: options.hookTimeoutMs ?? defaults.hookTimeoutMs ?? 10_000,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? defaults.shutdownTimeoutMs ?? 10_000,
    idleUnloadMs: options.idleUnloadMs ?? defaults.idleUnloadMs ?? 0,
    preload: options.preload ?? defaults.preload ?? 3,
    preloadDelayMs: options.preloadDelayMs ?? 200,
    pause: { maxWaiting: options.pause?.maxWaiting ?? 1000, maxWaitMs: options.pause?.maxWaitMs ?? 30_000 },
    hosts: {
      pool: {
        worker: environment.defaults.poolWorker.value,
        process: environment.defaults.poolProcess.value,
      },
      heartbeatMs: options.hosts?.heartbeatMs ?? 200,
      hangTimeoutMs: options.hosts?.hangTimeoutMs ?? 5_000,
      hangFailureThreshold: options.hosts?.hangFailureThreshold ?? 3,
    },
    restart: options.restart ?? {},
    inlineCrashes: options.inlineCrashes ?? true,
    stallMs: options.stallMs ?? 500,
    calls: options.calls === undefined ? file?.calls : validateCallsConfig(options.calls, "options.calls"),
    anomalies: options.anomalies ?? {},
    permissions: file?.permissions ?? NO_CEILINGS,
    use: sources("use", file?.use, options.use),
    overrides: sources("overrides", file?.overrides, options.overrides),
    updates: updates.config,
    triggers: {
      timeZone: options.triggers?.timeZone ?? file?.triggers.timeZone,
      idleUnloadMs: options.triggers?.idleUnloadMs ?? file?.triggers.idleUnloadMs ?? DEFAULT_TRIGGER_IDLE_MS,
    },
    resources: withMemoryDefault(resources, environment),
    environment,
    dispatch: { ...dispatchDefaults, ...file?.dispatch, ...definedOnly(options.dispatch) },
    moduleDirs: [...(file?.moduleDirs ?? []), ...(options.moduleDirs ?? [])].map((dir) => resolve(dir)),
    policies: {
      ...file?.policies,
      ...Object.fromEntries(
        Object.entries(options.policies ?? {}).map(([id, calls]) => [
          id,
          validateCallsConfig(calls, `options.policies["${id}"]`),
        ]),
      ),
    },
  };
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ level: options.logLevel ?? "info" }, pino.destination(2));
  const readOnly = options.readOnly ?? false;
  const db = Database.open(resolved.dataDir, { readOnly });
  try {
    const registry = new Registry({ db, dataDir: resolved.dataDir, clock, readOnly });
    if (!readOnly) linkSdk(join(resolved.dataDir, "store"));
    const runtime = new Runtime({
      options: resolved,
      clock,
      logger,
      db,
      registry,
      random: options.random ?? Math.random,
      // Maps, not objects: module ids come from users, and `config.constructor` is Object's.
      moduleConfig: new Map([
        ...Object.entries(file?.modules ?? {}),
        ...Object.entries(options.config ?? {}),
      ]),
      moduleConfigOrigins: new Map([
        ...Object.keys(file?.modules ?? {}).map((key) => [key, { source: file!.file, key }] as const),
        ...Object.keys(options.config ?? {}).map((key) => [key, { source: "options", key }] as const),
      ]),
      moduleConfigBase: new Map(
        Object.keys(file?.modules ?? {})
          .filter((id) => !Object.hasOwn(options.config ?? {}, id))
          .map((id) => [id, dirname(resolve(options.configFile!))]),
      ),
    });
    if (!readOnly) runtime.lastScan = runtime.scan(resolved.moduleDirs);
    return runtime;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * The resource settings: each field from the options, else the config file, else the default
 * (a field given as `undefined` counts as absent, as validation does); limits field by field.
 */
function resourceSettings(
  file: Partial<ResourceSettings> | undefined,
  options: Partial<ResourceSettings> | undefined,
): ResourceSettings {
  const pick = <K extends keyof ResourceSettings>(key: K): ResourceSettings[K] =>
    options?.[key] ?? file?.[key] ?? DEFAULT_RESOURCE_SETTINGS[key];
  const limits: ResourceLimits = { ...file?.limits };
  const given: ResourceLimits = options?.limits ?? {};
  for (const key of Object.keys(given) as Array<keyof ResourceLimits>)
    if (given[key] !== undefined) Object.assign(limits, { [key]: given[key] });
  return {
    sampleMs: pick("sampleMs"),
    limits,
    rawRetentionMs: pick("rawRetentionMs"),
    rollupRetentionMs: pick("rollupRetentionMs"),
    maxRows: pick("maxRows"),
    reportEveryMs: pick("reportEveryMs"),
  };
}

/** `settings` without the fields given as undefined (they keep their default). */
function definedOnly<T extends object>(settings: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(settings ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
