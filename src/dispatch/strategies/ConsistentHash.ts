import type { Candidate, DispatchRequest } from "../../vocabulary/dispatch.js";
import type { DispatchStrategy } from "./DispatchStrategy.js";
import { usableWeight } from "./eligibility.js";
import type { HashTable } from "./hash/HashTable.js";
import { Maglev } from "./hash/Maglev.js";
import { murmur3 } from "./hash/murmur3.js";
import { RingHash } from "./hash/RingHash.js";
import { Members } from "./Members.js";
import type { ResolvedHashSettings } from "./settings.js";

/**
 * `consistent_hash`: the request's `key` (murmur3) on a ring hash or a Maglev table built over
 * the members' configured `weight`s, with bounded load (Mirrokni, Thorup and Zadimoghaddam,
 * "Consistent Hashing with Bounded Loads", 2018). With load factor c > 0, a member may hold at
 * most ceil(c x (T + 1) x w / W) calls, where T is the calls in flight on the members of the
 * request's type, w its effectiveWeight and W their sum (for equal weights ceil(c x (T + 1) / n));
 * a full member passes the call on to the next distinct member in the table's order, so a hot key
 * spills over to its neighbours instead of sinking one replica, and cold keys stay put.
 * A request without a key hashes "" (one member takes them all, within its bound).
 * The table is rebuilt when the members change; a pick is one hash, one lookup (a binary search
 * on the ring) and, when bounded, one pass over the members. No allocation per pick.
 */
export class ConsistentHash implements DispatchStrategy {
  private readonly members = new Members();
  private table: HashTable | undefined;
  /** Per member, the pick at which the walk last saw it (no allocation per walk). */
  private seen = new Uint32Array(0);
  private epoch = 0;

  constructor(private readonly settings: ResolvedHashSettings) {}

  pick(candidates: readonly Candidate[], request: DispatchRequest): Candidate | undefined {
    if (this.members.changed(candidates)) this.rebuild(candidates);
    const table = this.table!;
    const type = request.type;
    const factor = this.settings.loadFactor;
    let eligible = 0;
    let inflight = 0;
    let weights = 0;
    if (factor > 0 || type !== undefined)
      for (let i = 0; i < candidates.length; i++) {
        const c = candidates[i]!;
        if (type !== undefined && c.engineType !== type) continue;
        eligible++;
        inflight += c.inflight > 0 ? c.inflight : 0;
        weights += usableWeight(c.effectiveWeight);
      }
    else eligible = candidates.length;
    if (eligible === 0) return undefined;
    // Bound per unit of weight; all weights 0 count as equal.
    const perWeight = weights > 0 ? (factor * (inflight + 1)) / weights : 0;
    const perMember = (factor * (inflight + 1)) / eligible;
    let position = table.start(murmur3(request.key ?? ""));
    const epoch = this.nextEpoch();
    let found = 0;
    let home: Candidate | undefined;
    for (let steps = 0; steps < table.size; steps++, position++) {
      const i = table.owner(position);
      if (this.seen[i] === epoch) continue;
      this.seen[i] = epoch;
      const c = candidates[i]!;
      if (type !== undefined && c.engineType !== type) continue;
      if (factor === 0) return c;
      home ??= c;
      const bound =
        weights > 0 ? Math.ceil(perWeight * usableWeight(c.effectiveWeight)) : Math.ceil(perMember);
      if (c.inflight < bound) return c;
      if (++found === eligible) break;
    }
    // Every member full (possible only with a weight of 0 in the pool): the key's own member.
    return home;
  }

  peek(candidates: readonly Candidate[], request: DispatchRequest): Candidate | undefined {
    return this.pick(candidates, request);
  }

  membersChanged(): void {
    this.members.invalidate();
  }

  private rebuild(candidates: readonly Candidate[]): void {
    const keys = candidates.map((c) => c.key);
    const weights = candidates.map((c) => c.weight);
    this.table =
      this.settings.algorithm === "maglev"
        ? new Maglev(keys, weights, this.settings.tableSize)
        : new RingHash(keys, weights, this.settings.pointsPerWeight);
    this.seen = new Uint32Array(candidates.length);
    this.epoch = 0;
  }

  private nextEpoch(): number {
    if (++this.epoch === 0xffffffff) {
      this.seen.fill(0);
      this.epoch = 1;
    }
    return this.epoch;
  }
}
