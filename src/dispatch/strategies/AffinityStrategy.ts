import { MemberStrategy } from "./MemberStrategy.js";
import type { Candidate, DispatchRequest } from "../../vocabulary/dispatch.js";
import { labelsMatched, typeMatches, usableWeight } from "./eligibility.js";
import { fmix32, murmur3 } from "./hash/murmur3.js";

/**
 * `affinity`: sticky by key, preferring by label.
 * - Labels: when the request prefers labels, only the members of its type carrying the most of
 *   them (all, when any member has all) are considered; with no such preference, all of its type.
 * - Key: a key is bound to the member it first went to, and goes there again while that member is
 *   in the list and among those considered. A new key, or one whose member is down, goes to the
 *   member with the highest rendezvous score fmix32(murmur3(key) ^ murmur3(member)) and is bound
 *   to it: the fallback for a member that left is spread over the others, and a key with no
 *   binding still lands where it landed before while the members are the same. At most
 *   `affinityKeys` bindings are kept (default 10000; the oldest binding is forgotten first).
 * - No key: the least loaded of those considered, by inflight / effectiveWeight (first on a tie).
 */
export class AffinityStrategy extends MemberStrategy {
  private readonly bindings = new Map<string, string>();
  private index = new Map<string, number>();
  private memberHashes = new Uint32Array(0);

  constructor(private readonly maxKeys: number) {
    super();
  }

  protected choose(
    candidates: readonly Candidate[],
    request: DispatchRequest,
    bind: boolean,
  ): Candidate | undefined {
    if (this.members.changed(candidates)) this.rebuild(candidates);
    // The best label match among the members of the request's type (-1: none of the type).
    let tier = -1;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      if (!typeMatches(c, request)) continue;
      const matched = labelsMatched(c, request);
      if (matched > tier) tier = matched;
    }
    if (tier < 0) return undefined;
    const key = request.key;
    if (key === undefined) return leastLoaded(candidates, request, tier);
    const bound = this.bindings.get(key);
    if (bound !== undefined) {
      const i = this.index.get(bound);
      const c = i === undefined ? undefined : candidates[i];
      if (c !== undefined && typeMatches(c, request) && labelsMatched(c, request) === tier) return c;
    }
    const chosen = this.rendezvous(candidates, request, tier, murmur3(key));
    if (bind && chosen.key !== bound) this.bind(key, chosen.key);
    return chosen;
  }

  private rendezvous(
    candidates: readonly Candidate[],
    request: DispatchRequest,
    tier: number,
    keyHash: number,
  ): Candidate {
    let best = -1;
    let bestScore = -1;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      if (!typeMatches(c, request) || labelsMatched(c, request) !== tier) continue;
      const score = fmix32(keyHash ^ this.memberHashes[i]!);
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    return candidates[best]!;
  }

  private bind(key: string, member: string): void {
    this.bindings.delete(key);
    this.bindings.set(key, member);
    if (this.bindings.size > this.maxKeys) {
      const oldest = this.bindings.keys().next().value;
      if (oldest !== undefined) this.bindings.delete(oldest);
    }
  }

  private rebuild(candidates: readonly Candidate[]): void {
    this.index = new Map(candidates.map((c, i) => [c.key, i]));
    this.memberHashes = Uint32Array.from(candidates, (c) => murmur3(c.key, 0x51c4));
  }
}

/** The least loaded member of the label tier: lowest inflight / effectiveWeight, first on a tie. */
function leastLoaded(
  candidates: readonly Candidate[],
  request: DispatchRequest,
  tier: number,
): Candidate | undefined {
  let best: Candidate | undefined;
  let bestLoad = Infinity;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (!typeMatches(c, request) || labelsMatched(c, request) !== tier) continue;
    const w = usableWeight(c.effectiveWeight);
    const load = w > 0 ? c.inflight / w : c.inflight > 0 ? Infinity : 0;
    if (best === undefined || load < bestLoad) {
      best = c;
      bestLoad = load;
    }
  }
  return best;
}
