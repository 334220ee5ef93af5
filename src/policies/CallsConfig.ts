/**
 * The `calls` section's defaults, and how its levels (runtime defaults, manifest, overrides,
 * layers; module-wide and per method) combine into the policy of one method: see
 * {@link resolveMethodPolicy}, and docs/policies.md for what each policy does.
 */
import { ownValue } from "../common/ownValue.js";
import type {
  BreakerConfig,
  BulkheadConfig,
  CallsConfig,
  PolicyConfig,
  RetryConfig,
} from "../vocabulary/calls.js";

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
    apply(ownValue(level?.methods, method), "method");
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
