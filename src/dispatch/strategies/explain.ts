import type { Candidate, DispatchRequest, HealthState } from "../../vocabulary/dispatch.js";
import { builtInStrategies } from "../../vocabulary/dispatch.js";
import type { DispatchStrategy, ScoreWeights, StrategySettings } from "./DispatchStrategy.js";
import { labelsRequested, typeMatches } from "./eligibility.js";
import {
  affinityFactor,
  capabilityFactor,
  loadFactor,
  performanceBaseline,
  performanceFactor,
  scoreOf,
} from "./score.js";
import { scoreWeightsOf } from "./settings.js";
import { StrategyRegistry } from "./StrategyRegistry.js";

/** Why a candidate cannot be picked. */
export type ExclusionReason = "not_in_rotation" | "type_mismatch" | "capability_missing";

/** One reason a candidate cannot be picked, with a sentence for people. */
export interface Exclusion {
  reason: ExclusionReason;
  message: string;
}

/** The `score` strategy's view of one candidate: each factor 0 to 1, the weights, and the total. */
export interface ScoreBreakdown {
  factors: { type: number; capability: number; load: number; performance: number; affinity: number };
  weights: ScoreWeights;
  /** sum(weight x factor) / sum(weights), 0 to 1; undefined for a candidate of another type (excluded). */
  total: number | undefined;
}

/** One candidate, as the dispatcher sees it for this request. */
export interface CandidateExplanation {
  key: string;
  module: string;
  engineType: string | undefined;
  health: HealthState;
  inflight: number;
  maxConcurrent: number;
  effectiveWeight: number;
  meanMs: number | undefined;
  inRotation: boolean;
  /** Whether the strategy could pick it (in rotation and through the strategy's filters). */
  eligible: boolean;
  excluded: Exclusion[];
  /** Requested capabilities it lacks. */
  missingCapabilities: string[];
  /** Document 004's weighted score, whatever the strategy (the `score` strategy picks by it). */
  score: ScoreBreakdown;
  picked: boolean;
}

/** What the dispatcher would do with a request: every candidate and the one it would pick. */
export interface DispatchExplanation {
  strategy: string;
  request: DispatchRequest;
  /** The key of the candidate the strategy would pick, or undefined when none fits. */
  picked: string | undefined;
  /** False when the live strategy given has no `peek`: `picked` is then unknown (undefined). */
  pickKnown: boolean;
  candidates: CandidateExplanation[];
}

/** Where {@link explain} gets its strategy and rotation from. */
export interface ExplainOptions {
  /** Where the strategy name is looked up (default: the built-ins only). */
  registry?: StrategyRegistry;
  /** The settings a fresh strategy is made with (score weights, hash settings, bias, random). */
  settings?: StrategySettings;
  /**
   * The live strategy of the pool: asked with `peek`, so the answer is what the next call would
   * get (round robin's place in its schedule, affinity's bindings). Without it a fresh strategy
   * is made and asked, and thrown away.
   */
  instance?: DispatchStrategy;
  /** Which candidates are in rotation (default: those whose health is not `unhealthy`). */
  inRotation?: (candidate: Candidate) => boolean;
}

const defaultInRotation = (c: Candidate): boolean => c.health !== "unhealthy";

/**
 * Explains a dispatch without making it: for every candidate whether it is eligible and why
 * not, document 004's score factor by factor, and which candidate `strategyName` (default the
 * request's strategy, else `round_robin`) would pick among those in rotation. Changes nothing:
 * neither the candidates nor the live strategy's state.
 */
export function explain(
  candidates: readonly Candidate[],
  request: DispatchRequest,
  strategyName: string = request.strategy ?? "round_robin",
  options: ExplainOptions = {},
): DispatchExplanation {
  const registry = options.registry ?? new StrategyRegistry();
  const inRotation = options.inRotation ?? defaultInRotation;
  const builtIn = (builtInStrategies as readonly string[]).includes(strategyName);
  const weights = scoreWeightsOf(options.settings ?? {});
  const rotation = candidates.filter((c) => inRotation(c));
  const strategy = options.instance ?? registry.create(strategyName, options.settings);
  const pickKnown = options.instance === undefined || typeof options.instance.peek === "function";
  const chosen = !pickKnown
    ? undefined
    : options.instance !== undefined
      ? options.instance.peek!(rotation, request)
      : (strategy.peek ?? strategy.pick).call(strategy, rotation, request);
  const baseline = performanceBaseline(candidates, request);
  const requestedLabels = labelsRequested(request);
  const explained = candidates.map((c): CandidateExplanation => {
    const excluded: Exclusion[] = [];
    const rotating = inRotation(c);
    if (!rotating)
      excluded.push({ reason: "not_in_rotation", message: `out of rotation (health ${c.health})` });
    const typeOk = typeMatches(c, request);
    if (!typeOk && builtIn)
      excluded.push({
        reason: "type_mismatch",
        message: `engine type ${c.engineType === undefined ? "none" : `"${c.engineType}"`}, the request needs "${request.type}"`,
      });
    const missing = (request.capabilities ?? []).filter((name) => !c.capabilities.includes(name));
    if (missing.length > 0 && strategyName === "capability")
      excluded.push({
        reason: "capability_missing",
        message: `lacks ${missing.map((m) => `"${m}"`).join(", ")}`,
      });
    return {
      key: c.key,
      module: c.module,
      engineType: c.engineType,
      health: c.health,
      inflight: c.inflight,
      maxConcurrent: c.maxConcurrent,
      effectiveWeight: c.effectiveWeight,
      meanMs: c.meanMs,
      inRotation: rotating,
      eligible: excluded.length === 0,
      excluded,
      missingCapabilities: missing,
      score: {
        factors: {
          type: typeOk ? 1 : 0,
          capability: capabilityFactor(c, request),
          load: loadFactor(c),
          performance: performanceFactor(c, baseline),
          affinity: affinityFactor(c, request, requestedLabels),
        },
        weights,
        total: typeOk ? scoreOf(c, request, weights, baseline, requestedLabels) : undefined,
      },
      picked: chosen !== undefined && chosen.key === c.key,
    };
  });
  return { strategy: strategyName, request, picked: chosen?.key, pickKnown, candidates: explained };
}
