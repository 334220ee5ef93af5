/**
 * The `calls` section of a manifest (and of runtime overrides and experiments): which policies
 * guard calls into a module, for all its methods or one. Every field is optional; policies/
 * applies the defaults and combines the levels (see docs/policies.md for what each policy does).
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
