import type { Candidate, DispatchRequest } from "../../vocabulary/dispatch.js";
import type { DispatchStrategy } from "./DispatchStrategy.js";
import { hasCapabilities, typeMatches, usableWeight } from "./eligibility.js";

/**
 * `capability`: only members of the request's engine type with every requested capability are
 * eligible; the best match among them is the one that is, in this order,
 * 1. least utilised: inflight / maxConcurrent (calls in flight per call it is sized for);
 * 2. most specialised: fewest capabilities beyond those requested, keeping broader engines free
 *    for the requests only they can serve;
 * 3. heaviest `effectiveWeight`; then first in the list.
 * Stateless, no allocation.
 */
export class CapabilityStrategy implements DispatchStrategy {
  pick(candidates: readonly Candidate[], request: DispatchRequest): Candidate | undefined {
    let best: Candidate | undefined;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      if (!typeMatches(c, request) || !hasCapabilities(c, request)) continue;
      if (best === undefined || betterMatch(c, best)) best = c;
    }
    return best;
  }

  peek(candidates: readonly Candidate[], request: DispatchRequest): Candidate | undefined {
    return this.pick(candidates, request);
  }
}

/** inflight / maxConcurrent; a member sized for no calls is full once it has one. */
export function utilisation(c: Candidate): number {
  if (c.maxConcurrent > 0) return c.inflight / c.maxConcurrent;
  return c.inflight > 0 ? Infinity : 0;
}

/** Whether `a` is a better match than `b` (both have every requested capability). */
function betterMatch(a: Candidate, b: Candidate): boolean {
  const ua = utilisation(a);
  const ub = utilisation(b);
  if (ua !== ub) return ua < ub;
  // Both cover the request, so fewer capabilities in all is fewer beyond the request.
  if (a.capabilities.length !== b.capabilities.length) return a.capabilities.length < b.capabilities.length;
  return usableWeight(a.effectiveWeight) > usableWeight(b.effectiveWeight);
}
