import { detectEnvironment } from "../environment/detectEnvironment.js";
import type { EnvironmentReport } from "../environment/EnvironmentReport.js";
import type { ResourceSettings, RuntimeOptions } from "./RuntimeOptions.js";

/**
 * The environment a runtime is created in, with the defaults adapted to it: detected from
 * evidence alone (no child is started; `chipset env` tries one), with the warm pool sizes and the
 * memory limit the options or the config file give counted as explicit (they win).
 */
export function runtimeEnvironment(
  options: RuntimeOptions,
  resources: ResourceSettings,
  dataDir: string,
): EnvironmentReport {
  const pool = options.hosts?.pool;
  return detectEnvironment({
    dataDir,
    ...(options.environment?.root === undefined ? {} : { root: options.environment.root }),
    ...(options.environment?.env === undefined ? {} : { env: options.environment.env }),
    explicit: {
      ...(pool?.worker === undefined ? {} : { poolWorker: pool.worker }),
      ...(pool?.process === undefined ? {} : { poolProcess: pool.process }),
      ...(resources.limits.memoryMb === undefined ? {} : { memoryMb: resources.limits.memoryMb }),
    },
  });
}

/** `resources` with the adapted memory limit where neither the options nor the config file set one. */
export function withMemoryDefault(
  resources: ResourceSettings,
  environment: EnvironmentReport,
): ResourceSettings {
  const memoryMb = environment.defaults.memoryMb;
  if (memoryMb.source !== "adapted" || memoryMb.value === null) return resources;
  return { ...resources, limits: { ...resources.limits, memoryMb: memoryMb.value } };
}

/** Why process modules run in workers here (child processes cannot be started); undefined where they can. */
export function noProcesses(options: { environment: EnvironmentReport }): string | undefined {
  const { processIsolation } = options.environment.defaults;
  return processIsolation.value === "worker" ? processIsolation.why : undefined;
}
