import type { BuiltInStrategy } from "../../vocabulary/dispatch.js";
import { AffinityStrategy } from "./AffinityStrategy.js";
import { CapabilityStrategy } from "./CapabilityStrategy.js";
import { ConsistentHash } from "./ConsistentHash.js";
import type { StrategyFactory } from "./DispatchStrategy.js";
import { LeastLoaded } from "./LeastLoaded.js";
import { RoundRobin } from "./RoundRobin.js";
import { ScoreStrategy } from "./ScoreStrategy.js";
import { activeRequestBiasOf, affinityKeysOf, hashSettingsOf, randomOf, scoreWeightsOf } from "./settings.js";
import { WeightedRandom } from "./WeightedRandom.js";

/** The factory of each built-in strategy; each checks the settings it reads. */
export const builtInFactories: Readonly<Record<BuiltInStrategy, StrategyFactory>> = Object.freeze({
  round_robin: () => new RoundRobin(),
  least_loaded: (settings) => new LeastLoaded(randomOf(settings), activeRequestBiasOf(settings)),
  weighted_random: (settings) => new WeightedRandom(randomOf(settings)),
  capability: () => new CapabilityStrategy(),
  affinity: (settings) => new AffinityStrategy(affinityKeysOf(settings)),
  consistent_hash: (settings) => new ConsistentHash(hashSettingsOf(settings)),
  score: (settings) => new ScoreStrategy(scoreWeightsOf(settings)),
});
