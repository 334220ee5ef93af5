/**
 * The `calls` section of a manifest (and of runtime overrides): which policies guard calls into
 * a module, for all its methods or one. Every field is optional; see {@link resolveMethodPolicy}
 * for how the levels combine and docs/policies.md for what each policy does.
 */

/** Retry with exponential backoff and jitter; applies only to methods declared idempotent. */
export interface RetryConfig {
  /** Attempts in all, the first included. Default 3. */
  maxAttempts?: number;
  /** Delay before the first retry, in ms. Default 50. */
  initialDelayMs?: number;
  /** Longest delay between attempts, in ms. Default 2 000. */
  maxDelayMs?: number;
  /** Each delay is the previous one times this. Default 2. */
  multiplier?: number;
  /** Fraction of each delay drawn at random (0: exact delays, 1: anywhere from 0 to the delay). Default 0.5. */
  jitter?: number;
}

/** Circuit breaker: stops calling a module that keeps failing, then probes it. */
export interface BreakerConfig {
  /** Opens after this many failures in a row; 0 turns this trigger off. Default 5. */
  consecutiveFailures?: number;
  /** Opens when at least this fraction of calls in the window failed (0..1); 0 turns this trigger off. Default 0.5. */
  failureRate?: number;
  /** The sliding window the failure rate is measured over, in ms. Default 10 000. */
  windowMs?: number;
  /** Calls the window needs before the failure rate can open the breaker. Default 20. */
  minCalls?: number;
  /** How long the breaker stays open before letting probes through (half-open), in ms. Default 5 000. */
  openMs?: number;
  /** Calls let through while half-open; that many successes close it, one failure opens it again. Default 1. */
  halfOpenProbes?: number;
}

/** Bulkhead: at most `maxConcurrent` calls at once, then a bounded queue, then refusal. */
export interface BulkheadConfig {
  /** Calls running at once. Default 10. */
  maxConcurrent?: number;
  /** Calls waiting for a slot; one more is refused at once with `CHIP_ERR_BULKHEAD_FULL`. Default 0. */
  maxQueue?: number;
}

/** The policies of one level (module-wide, or one method). `false` turns a policy off at this level. */
export interface PolicyConfig {
  /** Deadline of each attempt, in ms; 0 for none. */
  timeoutMs?: number;
  /** Safe to call twice: only idempotent methods are retried. */
  idempotent?: boolean;
  retry?: RetryConfig | false;
  /** At module level, one breaker shared by every method; at method level, the method's own. */
  breaker?: BreakerConfig | false;
  /** At module level, one bulkhead shared by every method; at method level, the method's own. */
  bulkhead?: BulkheadConfig | false;
}

/** The `calls` section: module-wide policies, and per-method ones over them. */
export interface CallsConfig extends PolicyConfig {
  methods?: Record<string, PolicyConfig>;
}

/** Retry settings with defaults applied. */
export type RetrySettings = Required<RetryConfig>;
/** Breaker settings with defaults applied. */
export type BreakerSettings = Required<BreakerConfig>;
/** Bulkhead settings with defaults applied. */
export type BulkheadSettings = Required<BulkheadConfig>;

/** Defaults of each policy, used for the fields a config leaves out. */
export const policyDefaults: {
  readonly retry: Readonly<RetrySettings>;
  readonly breaker: Readonly<BreakerSettings>;
  readonly bulkhead: Readonly<BulkheadSettings>;
} = Object.freeze({
  retry: Object.freeze({ maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 2_000, multiplier: 2, jitter: 0.5 }),
  breaker: Object.freeze({
    consecutiveFailures: 5,
    failureRate: 0.5,
    windowMs: 10_000,
    minCalls: 20,
    openMs: 5_000,
    halfOpenProbes: 1,
  }),
  bulkhead: Object.freeze({ maxConcurrent: 10, maxQueue: 0 }),
});

/** Where a breaker or bulkhead lives: shared by the module's methods, or the method's own. */
export type PolicyScope = "module" | "method";

/** Everything that guards calls to one method, resolved from every level. */
export interface MethodPolicy {
  timeoutMs: number;
  /** Undefined when the method is not retried (not idempotent, or retry off). */
  retry: RetrySettings | undefined;
  breaker: { settings: BreakerSettings; scope: PolicyScope } | undefined;
  bulkhead: { settings: BulkheadSettings; scope: PolicyScope } | undefined;
}

/**
 * Combines the levels for `method`, lowest first: runtime defaults, the manifest's module-wide
 * `calls`, its `methods[method]`, then runtime overrides (module-wide, then the method's). A
 * later level replaces a field of an earlier one; `false` turns a policy off; a policy object
 * merges field by field into the one below it. Breakers and bulkheads set at a method level are
 * the method's own; otherwise they are shared by the module's methods.
 */
export function resolveMethodPolicy(
  method: string,
  levels: readonly (CallsConfig | undefined)[],
): MethodPolicy {
  let timeoutMs = 0;
  let idempotent = false;
  let retry: RetryConfig | false | undefined;
  let breaker: BreakerConfig | false | undefined;
  let bulkhead: BulkheadConfig | false | undefined;
  let breakerScope: PolicyScope = "module";
  let bulkheadScope: PolicyScope = "module";
  const apply = (level: PolicyConfig | undefined, scope: PolicyScope): void => {
    if (level === undefined) return;
    if (level.timeoutMs !== undefined) timeoutMs = level.timeoutMs;
    if (level.idempotent !== undefined) idempotent = level.idempotent;
    retry = merge(retry, level.retry);
    if (level.breaker !== undefined) {
      breaker = merge(breaker, level.breaker);
      breakerScope = scopeAfter(breakerScope, level.breaker, scope);
    }
    if (level.bulkhead !== undefined) {
      bulkhead = merge(bulkhead, level.bulkhead);
      bulkheadScope = scopeAfter(bulkheadScope, level.bulkhead, scope);
    }
  };
  for (const level of levels) {
    apply(level, "module");
    apply(level?.methods?.[method], "method");
  }
  return {
    timeoutMs,
    retry: idempotent && retry ? { ...policyDefaults.retry, ...retry } : undefined,
    breaker: breaker
      ? { settings: { ...policyDefaults.breaker, ...breaker }, scope: breakerScope }
      : undefined,
    bulkhead: bulkhead
      ? { settings: { ...policyDefaults.bulkhead, ...bulkhead }, scope: bulkheadScope }
      : undefined,
  };
}

/**
 * A method level's fields stay in the merge until a `false` wipes them, so the policy stays the
 * method's own even when a later module-wide level adjusts it (shared, it would have settings
 * its siblings do not).
 */
function scopeAfter(was: PolicyScope, level: object | false, scope: PolicyScope): PolicyScope {
  if (level === false) return "module";
  return scope === "method" ? "method" : was;
}

function merge<T extends object>(
  below: T | false | undefined,
  level: T | false | undefined,
): T | false | undefined {
  if (level === undefined) return below;
  if (level === false) return false;
  return below ? { ...below, ...level } : { ...level };
}
