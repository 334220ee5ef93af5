import type { Candidate, DispatchRequest } from "../../vocabulary/dispatch.js";
import type { DispatchStrategy, ScoreWeights } from "./DispatchStrategy.js";
import { labelsRequested, typeMatches } from "./eligibility.js";
import { beats, performanceBaseline, scoreOf } from "./score.js";

/**
 * `score`: document 004's weighted selection score. Members of another engine type than the
 * request's are excluded (the type factor is a hard filter); every other member scores
 * type 40%, capability match 25%, free capacity 20%, historical performance 10% and label
 * affinity 5% (weights configurable; see score.ts for each factor) and the highest score wins,
 * ties to fewer calls in flight, then the lower key. Two passes over the members, no allocation
 * beyond the performance baseline.
 */
export class ScoreStrategy implements DispatchStrategy {
  constructor(private readonly weights: ScoreWeights) {}

  pick(candidates: readonly Candidate[], request: DispatchRequest): Candidate | undefined {
    const baseline = performanceBaseline(candidates, request);
    const requested = labelsRequested(request);
    let best: Candidate | undefined;
    let bestScore = -Infinity;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      if (!typeMatches(c, request)) continue;
      const score = scoreOf(c, request, this.weights, baseline, requested);
      if (best === undefined || beats(c, score, best, bestScore)) {
        best = c;
        bestScore = score;
      }
    }
    return best;
  }

  peek(candidates: readonly Candidate[], request: DispatchRequest): Candidate | undefined {
    return this.pick(candidates, request);
  }
}
