import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { RetrySettings } from "./CallsConfig.js";

/**
 * How each policy reads a failure. An error the caller caused (cancelled it, called a method
 * that does not exist, passed something invalid) or that a policy raised on purpose (breaker
 * open, bulkhead full) says nothing about the module's health: the breaker ignores it, retry
 * and fallback leave it alone. Everything else (the module threw, timed out, crashed, was down)
 * counts against the module.
 */
export function countsAgainstModule(err: unknown): boolean {
  if (!(err instanceof ChipsetError)) return true;
  // Down after a crash: the supervisor already knows and restarts it; counting this against the
  // breaker would keep it refused long after it is back, and retrying only delays the fallback.
  // Out of service by its readiness probe: likewise, the probe already knows and brings it back.
  if (err.code === ErrorCodes.MODULE_DOWN || err.code === ErrorCodes.MODULE_NOT_READY) return false;
  switch (err.category) {
    case "cancelled":
    case "validation":
    case "not-found":
    case "policy":
      return false;
    case "overload":
      // A full bulkhead is our own refusal; a module paused too long is the module not serving.
      return err.code !== ErrorCodes.BULKHEAD_FULL;
    default:
      return true;
  }
}

/** Whether an idempotent method's attempt that failed with `err` is worth another attempt. */
export function isRetryable(err: unknown): boolean {
  return countsAgainstModule(err);
}

/**
 * Whether a fallback should answer instead: when the module could not answer (crashed, down,
 * timed out, overloaded, breaker open), not when it answered with an error of its own (that is
 * its answer) nor when the caller gave up or asked for something that does not exist.
 */
export function wantsFallback(err: unknown): boolean {
  if (!(err instanceof ChipsetError)) return false;
  switch (err.category) {
    case "crash":
    case "timeout":
    case "overload":
    case "policy":
      return true;
    case "dependency":
      return (
        err.code === ErrorCodes.MODULE_UNAVAILABLE ||
        err.code === ErrorCodes.MODULE_DOWN ||
        err.code === ErrorCodes.MODULE_NOT_READY ||
        err.code === ErrorCodes.DEPENDENCY_FAILED
      );
    default:
      return false;
  }
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1), in ms: `initialDelayMs` times
 * `multiplier` per earlier retry, capped at `maxDelayMs`, minus a random part of up to
 * `jitter` of it (so callers that failed together do not retry together).
 */
export function retryDelay(settings: RetrySettings, attempt: number, random: () => number): number {
  const base = Math.min(
    settings.maxDelayMs,
    settings.initialDelayMs * settings.multiplier ** Math.max(0, attempt - 1),
  );
  return Math.round(base * (1 - settings.jitter * random()));
}
