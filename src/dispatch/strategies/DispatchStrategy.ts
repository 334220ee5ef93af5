import type { Candidate, DispatchRequest, HashSettings } from "../../vocabulary/dispatch.js";

/**
 * How a dispatcher picks one candidate for a call. `candidates` are the pool's members in
 * rotation (the dispatcher has left out the ejected and unhealthy); `pick` answers one of them, or
 * `undefined` when none fits the request. Strategies read a candidate's fields and never write them.
 *
 * A strategy that keeps state per member (round robin's current weights, a hash ring) rebuilds it
 * when it is handed a different array, or one of another length, than last time, and when
 * `membersChanged` is called: a dispatcher that changes its array in place calls `membersChanged`.
 * Keep one array per rotation and replace it when the rotation changes, so that a pick costs no
 * rebuild.
 */
export interface DispatchStrategy {
  /** The candidate for this call, or `undefined` when none fits. */
  pick(candidates: readonly Candidate[], request: DispatchRequest): Candidate | undefined;
  /** What `pick` would answer now, without advancing any state (for `explain`); random draws still happen. */
  peek?(candidates: readonly Candidate[], request: DispatchRequest): Candidate | undefined;
  /** The members in rotation changed (joined, left, reweighted): rebuild what is precomputed. */
  membersChanged?(candidates: readonly Candidate[]): void;
}

/** The factors of the `score` strategy, each a non-negative weight (document 004: 40, 25, 20, 10, 5). */
export interface ScoreWeights {
  /** Engine type match. A hard filter as well: a candidate of another type is never picked. */
  type: number;
  /** Share of the requested capabilities the candidate has. */
  capability: number;
  /** Free share of its capacity, (maxConcurrent - inflight) / maxConcurrent. */
  load: number;
  /** Inverse of its mean call time, the fastest of the pool = 1. */
  performance: number;
  /** Share of the requested labels it carries. */
  affinity: number;
}

/** Consistent hashing's settings: the manifest's {@link HashSettings} and the table sizes. */
export interface ConsistentHashSettings extends HashSettings {
  /** Ring points per unit of `weight` (default 160, ketama's; at least one per member). */
  pointsPerWeight?: number;
  /** Maglev's lookup table size, a prime (default 65537). */
  tableSize?: number;
}

/** What a strategy factory is given. Each strategy reads only what it needs; all are optional. */
export interface StrategySettings {
  /** consistent_hash: algorithm, bounded load, table sizes. */
  hash?: ConsistentHashSettings;
  /** least_loaded: Envoy's active_request_bias for unequal weights (default 1; 0: weights only). */
  activeRequestBias?: number;
  /** A source of uniform numbers in [0, 1) (default `Math.random`); tests inject a seeded one. */
  random?: () => number;
  /** score: factor weights (defaults 40, 25, 20, 10, 5); a partial set replaces only the factors named. */
  scoreWeights?: Partial<ScoreWeights>;
  /** affinity: how many keys it remembers (default 10000; the oldest is forgotten first). */
  affinityKeys?: number;
}

/** Makes a strategy for one pool (or module) from its settings. Called once per pool. */
export type StrategyFactory = (settings: StrategySettings) => DispatchStrategy;
