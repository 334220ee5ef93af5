import { MemberStrategy } from "./MemberStrategy.js";
import type { Candidate, DispatchRequest } from "../../vocabulary/dispatch.js";
import { usableWeight } from "./eligibility.js";
import { SmoothCounters } from "./SmoothCounters.js";

/**
 * `round_robin`: nginx's smooth weighted round robin on `effectiveWeight`. Each pick adds every
 * member's weight to its counter, takes the member with the highest counter (the first on a tie)
 * and takes the total off it: weights 5, 1, 1 give a a b a c a a, spread rather than bunched;
 * equal weights give a plain rotation. Members of another engine type than the request's are
 * skipped; when every weight is 0 all count as 1. O(n) per pick, no allocation.
 */
export class RoundRobin extends MemberStrategy {
  private readonly counters = new SmoothCounters();
  private last: readonly Candidate[] | undefined;

  protected choose(
    candidates: readonly Candidate[],
    request: DispatchRequest,
    advance: boolean,
  ): Candidate | undefined {
    if (this.members.changed(candidates)) {
      this.counters.rebuild(candidates, this.last);
      this.last = candidates;
    }
    const current = this.counters.current;
    const type = request.type;
    let total = 0;
    let best = -1;
    let bestCurrent = -Infinity;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      if (type !== undefined && c.engineType !== type) continue;
      const w = usableWeight(c.effectiveWeight);
      const next = current[i]! + w;
      if (advance) current[i] = next;
      total += w;
      if (next > bestCurrent) {
        best = i;
        bestCurrent = next;
      }
    }
    if (best < 0) return undefined;
    if (total === 0) return this.chooseEqually(candidates, type, advance);
    if (advance) current[best] = current[best]! - total;
    return candidates[best];
  }

  /** Every weight 0: the same schedule with all weights 1 (a rotation). */
  private chooseEqually(
    candidates: readonly Candidate[],
    type: string | undefined,
    advance: boolean,
  ): Candidate | undefined {
    const current = this.counters.current;
    let total = 0;
    let best = -1;
    let bestCurrent = -Infinity;
    for (let i = 0; i < candidates.length; i++) {
      if (type !== undefined && candidates[i]!.engineType !== type) continue;
      const next = current[i]! + 1;
      if (advance) current[i] = next;
      total++;
      if (next > bestCurrent) {
        best = i;
        bestCurrent = next;
      }
    }
    if (advance) current[best] = current[best]! - total;
    return candidates[best];
  }
}
