import type { AutoscaleSettings, ScalingPolicy, ScalingRules } from "../vocabulary/dispatch.js";

/** One direction's rules with every default filled in. */
export interface ResolvedRules {
  readonly stabilizationWindowMs: number;
  readonly policies: readonly Readonly<ScalingPolicy>[];
  readonly selectPolicy: NonNullable<ScalingRules["selectPolicy"]>;
  readonly cooldownMs: number;
}

/** `replicas.autoscale` with every default filled in (see {@link resolveAutoscale}). */
export interface ResolvedAutoscale {
  readonly metric: AutoscaleSettings["metric"];
  readonly target: number;
  readonly tolerance: number;
  readonly scaleUp: ResolvedRules;
  readonly scaleDown: ResolvedRules;
  /** Undefined: no flap budget (Kubernetes has none; the stabilisation window does that job). */
  readonly flapBudget: Readonly<{ changes: number; windowMs: number }> | undefined;
}

/**
 * Kubernetes HPA's defaults (`pkg/apis/autoscaling/v2/defaults.go` and the
 * `--horizontal-pod-autoscaler-tolerance` flag): a 10% tolerance; scale up by the larger of 100%
 * or 4 replicas per 15 s with no stabilisation; scale down by up to 100% per 15 s, holding the
 * highest recommendation of the last 300 s. Cooldowns are off: Kubernetes replaced its
 * upscale/downscale delays with the stabilisation window in 1.12, and document 003's 300 s / 600 s
 * are per module settings, not defaults.
 */
export const autoscaleDefaults = {
  tolerance: 0.1,
  scaleUp: {
    stabilizationWindowMs: 0,
    policies: [
      { type: "percent", value: 100, periodMs: 15_000 },
      { type: "replicas", value: 4, periodMs: 15_000 },
    ],
    selectPolicy: "max",
    cooldownMs: 0,
  },
  scaleDown: {
    stabilizationWindowMs: 300_000,
    policies: [{ type: "percent", value: 100, periodMs: 15_000 }],
    selectPolicy: "max",
    cooldownMs: 0,
  },
} as const satisfies { tolerance: number; scaleUp: ResolvedRules; scaleDown: ResolvedRules };

/**
 * Fills in every field `settings` leaves out, field by field as Kubernetes does (a `scaleDown`
 * that sets only its window keeps the default policies).
 */
export function resolveAutoscale(settings: Readonly<AutoscaleSettings>): ResolvedAutoscale {
  return {
    metric: settings.metric,
    target: settings.target,
    tolerance: settings.tolerance ?? autoscaleDefaults.tolerance,
    scaleUp: resolveRules(settings.scaleUp, autoscaleDefaults.scaleUp),
    scaleDown: resolveRules(settings.scaleDown, autoscaleDefaults.scaleDown),
    flapBudget: settings.flapBudget === undefined ? undefined : { ...settings.flapBudget },
  };
}

function resolveRules(rules: Readonly<ScalingRules> | undefined, defaults: ResolvedRules): ResolvedRules {
  return {
    stabilizationWindowMs: rules?.stabilizationWindowMs ?? defaults.stabilizationWindowMs,
    policies: (rules?.policies ?? defaults.policies).map((p) => ({ ...p })),
    selectPolicy: rules?.selectPolicy ?? defaults.selectPolicy,
    cooldownMs: rules?.cooldownMs ?? defaults.cooldownMs,
  };
}
