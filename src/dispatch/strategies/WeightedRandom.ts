import type { Candidate, DispatchRequest } from "../../vocabulary/dispatch.js";
import type { DispatchStrategy } from "./DispatchStrategy.js";
import { usableWeight } from "./eligibility.js";

/**
 * `weighted_random`: each member with probability effectiveWeight / the sum of the weights (one
 * draw of the random source per pick). Members of another engine type are skipped; when every
 * weight is 0, all are equally likely. Stateless, no allocation.
 */
export class WeightedRandom implements DispatchStrategy {
  constructor(private readonly random: () => number) {}

  pick(candidates: readonly Candidate[], request: DispatchRequest): Candidate | undefined {
    const type = request.type;
    let total = 0;
    let eligible = 0;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      if (type !== undefined && c.engineType !== type) continue;
      eligible++;
      total += usableWeight(c.effectiveWeight);
    }
    if (eligible === 0) return undefined;
    const equal = total === 0;
    let r = this.random() * (equal ? eligible : total);
    let last: Candidate | undefined;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      if (type !== undefined && c.engineType !== type) continue;
      const w = equal ? 1 : usableWeight(c.effectiveWeight);
      if (w === 0) continue;
      last = c;
      if (r < w) return c;
      r -= w;
    }
    return last;
  }

  peek(candidates: readonly Candidate[], request: DispatchRequest): Candidate | undefined {
    return this.pick(candidates, request);
  }
}
