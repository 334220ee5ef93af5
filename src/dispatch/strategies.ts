/**
 * Dispatch strategies: how a call picks one of a pool's members (docs/dispatch.md, "Strategies").
 * The dispatcher (runtime/) makes one strategy per pool from the registry and hands it the
 * members in rotation on each call; `explain` shows what it would do and why.
 */
export type {
  ConsistentHashSettings,
  DispatchStrategy,
  ScoreWeights,
  StrategyFactory,
  StrategySettings,
} from "./strategies/DispatchStrategy.js";
export { StrategyRegistry, STRATEGY_NAME } from "./strategies/StrategyRegistry.js";
export {
  explain,
  type CandidateExplanation,
  type DispatchExplanation,
  type Exclusion,
  type ExclusionReason,
  type ExplainOptions,
  type ScoreBreakdown,
} from "./strategies/explain.js";
export { defaultScoreWeights, hashDefaults } from "./strategies/settings.js";
export { murmur3 } from "./strategies/hash/murmur3.js";
