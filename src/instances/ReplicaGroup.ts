import type { Candidate, DispatchRequest } from "../vocabulary/dispatch.js";

/** What a group needs to know of each replica (an `Instance`; kept structural to keep imports one way). */
export interface ReplicaMember {
  readonly key: string;
  readonly replica: number;
  /** Running with its intake gate open. */
  readonly takesCalls: boolean;
  /** Why it is out of service (readiness probe), if it is. */
  readonly unready: unknown;
  readonly gate: { readonly inFlight: number };
}

/** How a group picks among its replicas in rotation: a dispatch strategy (see dispatch/strategies). */
export interface ReplicaStrategy {
  pick(candidates: readonly Candidate[], request: DispatchRequest): Candidate | undefined;
  /** Told when the replicas in rotation changed, so that what it precomputed (a hash ring) is rebuilt. */
  membersChanged?(candidates: readonly Candidate[]): void;
}

/** Whether a replica may be given calls beyond taking them: not ejected, not draining, not down after a crash. */
export type RotationCheck<M> = (member: M) => boolean;

const NO_REQUEST: DispatchRequest = Object.freeze({});

/**
 * The replicas of one `id@version`, each an instance of the table with its own host, and the
 * {@link Candidate} the dispatcher sees of each. A call to the module reaches the first replica
 * (the table's answer for `id@version`), and the call path asks its group which replica takes
 * it: {@link pick} refreshes each candidate's calls in flight from its gate, keeps those that
 * take calls and are in rotation, and lets the strategy choose. Nothing is allocated per call.
 */
export class ReplicaGroup<M extends ReplicaMember> {
  private readonly members: M[] = [];
  /** `candidates[i]` is what the dispatcher sees of `members[i]`. */
  private readonly candidates: Candidate[] = [];
  /** The candidates in rotation, refilled on each pick (one array, reused: strategies key their state on it). */
  private readonly rotation: Candidate[] = [];
  /** The rotation of the previous pick, to tell the strategy when it changed. */
  private readonly previous: Candidate[] = [];
  private readonly memberOf = new Map<Candidate, M>();

  constructor(
    /** `id@version`. */
    readonly key: string,
    /** How calls pick among the replicas in rotation. */
    readonly strategy: ReplicaStrategy,
    private readonly inRotation: RotationCheck<M>,
  ) {}

  /** How many replicas the group has now. */
  get size(): number {
    return this.members.length;
  }

  /** The replicas, first replica first. */
  list(): readonly M[] {
    return this.members;
  }

  /** The candidate of `member`, if it belongs to the group. */
  candidateOf(member: M): Candidate | undefined {
    const i = this.members.indexOf(member);
    return i < 0 ? undefined : this.candidates[i];
  }

  /** The replica numbered `replica`, if it is in the group. */
  member(replica: number): M | undefined {
    return this.members.find((m) => m.replica === replica);
  }

  /** Adds `member` (or replaces the member with its number: a replica made again after an unload). */
  join(member: M, candidate: Candidate): void {
    const at = this.members.findIndex((m) => m.replica === member.replica);
    if (at >= 0) {
      this.memberOf.delete(this.candidates[at]!);
      this.members[at] = member;
      this.candidates[at] = candidate;
    } else {
      const after = this.members.findIndex((m) => m.replica > member.replica);
      const index = after < 0 ? this.members.length : after;
      this.members.splice(index, 0, member);
      this.candidates.splice(index, 0, candidate);
    }
    this.memberOf.set(candidate, member);
  }

  /** Takes `member` out (scaled down, or its module left). */
  leave(member: M): void {
    const at = this.members.indexOf(member);
    if (at < 0) return;
    this.memberOf.delete(this.candidates[at]!);
    this.members.splice(at, 1);
    this.candidates.splice(at, 1);
  }

  /**
   * The replica that takes a call now, by the group's strategy, among those that take calls, are in
   * rotation and are not `exclude` (the one a retry left). Undefined when none can: the call then
   * goes the slow way, through the first replica.
   */
  pick(request: DispatchRequest = NO_REQUEST, exclude?: object): M | undefined {
    const rotation = this.rotation;
    rotation.length = 0;
    const { members, candidates } = this;
    for (let i = 0; i < members.length; i++) {
      const member = members[i]!;
      const candidate = candidates[i]!;
      candidate.inflight = member.gate.inFlight;
      if (member === exclude || !member.takesCalls || member.unready !== undefined) continue;
      if (!this.inRotation(member)) continue;
      rotation.push(candidate);
    }
    if (rotation.length === 0) return undefined;
    if (changed(rotation, this.previous)) {
      this.previous.length = 0;
      this.previous.push(...rotation);
      this.strategy.membersChanged?.(rotation);
    }
    const chosen = rotation.length === 1 ? rotation[0] : this.strategy.pick(rotation, request);
    return chosen === undefined ? undefined : this.memberOf.get(chosen);
  }
}

/** True unless `now` holds the same candidates as `before`, in the same order. */
function changed(now: readonly Candidate[], before: readonly Candidate[]): boolean {
  if (now.length !== before.length) return true;
  for (let i = 0; i < now.length; i++) if (now[i] !== before[i]) return true;
  return false;
}
