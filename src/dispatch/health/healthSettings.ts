import { ChipsetError } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";
import type { HealthSettings } from "../../vocabulary/dispatch.js";

/** {@link HealthSettings} with every default applied; `degradedLatencyMs` stays `undefined` when off. */
export interface ResolvedHealthSettings extends Required<Omit<HealthSettings, "degradedLatencyMs">> {
  degradedLatencyMs: number | undefined;
}

/**
 * The defaults and where each comes from (docs/dispatch.md lists them). Envoy: outlier detection
 * (`consecutive_5xx`, `interval`, `base_ejection_time`, `max_ejection_time`, `max_ejection_percent`,
 * `success_rate_*`) and the load balancer's `healthy_panic_threshold`. The rest are Chipset's.
 */
export const healthDefaults: Readonly<ResolvedHealthSettings> = Object.freeze({
  failureThreshold: 5,
  successThreshold: 3,
  degradedLatencyMs: undefined,
  degradedErrorRate: 0.2,
  degradedWeight: 0.5,
  intervalMs: 10_000,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectedPercent: 10,
  successRateRequestVolume: 100,
  successRateMinimumHosts: 5,
  successRateStdevFactor: 1.9,
  panicThreshold: 50,
  memoryRiseSamples: 60,
});

/**
 * Calls a replica's error rate and mean call time are judged over (its last 20), and the fewest
 * (10) before either is judged at all, so one early failure does not make a new replica degraded.
 */
export const healthWindow = { calls: 20, minimumCalls: 10 } as const;

/**
 * `partial` over {@link healthDefaults}. A `maxEjectionMs` left out is at least `baseEjectionMs`
 * (Envoy: "300 s or base_ejection_time, whichever is larger"); one given below it is refused with
 * `CHIP_ERR_OPTIONS_INVALID`, as Envoy refuses it. Values were range-checked by the manifest schema.
 */
export function resolveHealthSettings(partial: HealthSettings = {}): ResolvedHealthSettings {
  const settings: ResolvedHealthSettings = { ...healthDefaults };
  for (const [name, value] of Object.entries(partial) as [keyof HealthSettings, number | undefined][])
    if (value !== undefined) settings[name] = value;
  if (partial.maxEjectionMs === undefined)
    settings.maxEjectionMs = Math.max(settings.maxEjectionMs, settings.baseEjectionMs);
  else if (settings.maxEjectionMs < settings.baseEjectionMs)
    throw new ChipsetError(
      ErrorCodes.OPTIONS_INVALID,
      `replicas.health.maxEjectionMs (${settings.maxEjectionMs} ms) is shorter than baseEjectionMs (${settings.baseEjectionMs} ms): the longest ejection cannot be shorter than the first. Raise maxEjectionMs or lower baseEjectionMs.`,
      {
        details: {
          field: "replicas.health.maxEjectionMs",
          expected: `at least baseEjectionMs (${settings.baseEjectionMs})`,
          found: settings.maxEjectionMs,
        },
      },
    );
  return settings;
}
