/** What bisection is given and what it answers (see bisect.ts). */

/** What one health check says about the runtime with a given set of modules active. */
export interface BisectVerdict {
  healthy: boolean;
  /** What was seen, for the report (e.g. "gpu-accel crashed twice"). */
  detail?: string;
}

/**
 * Runs the runtime with exactly `subset` active (in candidate order) and says whether it stayed
 * healthy. It owns its own duration and timeout; `signal` is the bisection's, passed on so a long
 * check can stop early.
 */
export type BisectCheck = (subset: string[], signal?: AbortSignal) => Promise<BisectVerdict>;

/** One trial: which modules ran, and whether the health check passed. */
export interface BisectTrial {
  modules: string[];
  healthy: boolean;
  detail?: string;
}

/** What {@link bisect} found. */
export interface BisectResult {
  /** Whether the runtime was healthy with every candidate (the first trial). */
  healthy: boolean;
  /**
   * Every module found to make the runtime unhealthy, in candidate order (all of `groups`).
   * Empty when the full set was healthy (nothing to find).
   */
  culprits: string[];
  /**
   * Each cause found, in the order found: one module that makes the runtime unhealthy alone, or
   * the smallest combination that does so only together (an interaction). Each is set aside once
   * found and the rest checked again, so independently bad modules are all named.
   */
  groups: string[][];
  /** Every trial, in order. */
  trials: BisectTrial[];
  /**
   * false when the whole set turned out healthy on the first trial, or results were inconsistent
   * (flaky); `note` explains.
   */
  found: boolean;
  /**
   * true when removing any one module of a group was seen to make the runtime healthy (each group
   * 1-minimal); false when the trial budget ran out or the results were inconsistent first, or
   * nothing was found.
   */
  minimal: boolean;
  /**
   * true when the runtime was seen healthy without the culprits (or nothing else was left), so
   * no other cause remains; false when trials stopped first, or nothing was found.
   */
  complete: boolean;
  /** One sentence for people: what was found, or why nothing was. */
  note: string;
}

/** Options of {@link bisect}. */
export interface BisectOptions {
  /** Cancels between trials: `bisect` rejects with `CHIP_ERR_ABORTED`, `cause` = `signal.reason`. */
  signal?: AbortSignal;
  /** The most health checks to run, counting the first one on the whole set (default 64). */
  maxTrials?: number;
  /** Called after each trial that ran (not after answers from the cache); `count` starts at 1. */
  onTrial?: (trial: BisectTrial, count: number) => void;
}
