import type { Isolation } from "../vocabulary/manifest.js";

/** The instance an intercepted call is about to reach. */
export interface InterceptedTarget {
  readonly id: string;
  readonly version: string;
  /** `id@version`: the address to aim host faults at (`runtime.faultHost`). */
  readonly key: string;
  readonly isolation: Isolation;
}

/** An intercepted call, as the interceptor sees it. */
export interface InterceptedCall {
  readonly method: string;
  /** The attempt now running (1 for the first). */
  readonly attempt: number;
  /** False once the call gave up on attempt `attempt` (timed out, aborted, retried, settled). */
  isCurrent(attempt: number): boolean;
}

/**
 * Stands between the call path and a module (a tool such as chaos fault injection, installed
 * with `runtime.interceptCalls`). While `active` is false the call path never asks it anything.
 */
export interface CallInterceptor {
  /** True while anything may be done to calls: the call path asks {@link around} only then. */
  readonly active: boolean;
  /**
   * Runs `proceed` (the real call into `target`), or instead of it something else: a delay, an
   * error, a call that never answers. Its value or promise is the attempt's.
   */
  around(target: InterceptedTarget, call: InterceptedCall, proceed: () => unknown): unknown;
  /** The runtime is closing: let go of what is held back (delayed calls, timers). */
  close?(): void;
}
