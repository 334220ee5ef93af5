/** The errors the pipeline makes itself: a call refused before it reached its module, an attempt timed out, a fallback that failed too. */
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { BulkheadSettings } from "./CallsConfig.js";
import type { BreakerState } from "./CircuitBreaker.js";

/**
 * `CHIP_ERR_BREAKER_OPEN` for a call of `ref`.`method` (module `id`) refused by a breaker in
 * `state`, saying why it is open and, when open, in how many ms from `now` probes begin.
 */
export function breakerOpenError(
  ref: string,
  method: string,
  id: string,
  state: BreakerState,
  now: number,
): ChipsetError {
  const why =
    state.name === "isolated"
      ? "it was isolated by hand (release the isolation to let calls through)"
      : state.name === "open"
        ? `it failed repeatedly (${state.reason}); probes begin in ${Math.max(0, Math.round(state.until - now))} ms`
        : "its probes are in flight";
  return new ChipsetError(
    ErrorCodes.BREAKER_OPEN,
    `${ref}.${method} was not called: the circuit breaker of ${id} is ${state.name}, because ${why}`,
    {
      module: id,
      details: { method, state: state.name, ...(state.name === "open" ? { retryAt: state.until } : {}) },
    },
  );
}

/** `CHIP_ERR_BULKHEAD_FULL` for a call of `ref`.`method` (module `id`) that found every slot and place in the queue taken. */
export function bulkheadFullError(
  ref: string,
  method: string,
  id: string,
  { maxConcurrent, maxQueue }: BulkheadSettings,
): ChipsetError {
  return new ChipsetError(
    ErrorCodes.BULKHEAD_FULL,
    `${ref}.${method} was refused: ${maxConcurrent} calls are running and ${maxQueue} waiting, ` +
      `the most its bulkhead allows; slow down or raise calls.bulkhead`,
    { module: id, details: { method, maxConcurrent, maxQueue } },
  );
}

/** `CHIP_ERR_CALL_TIMEOUT` for attempt `attempt` of `ref`.`method` (module `id`), unanswered after `timeoutMs` ms. */
export function callTimeoutError(
  ref: string,
  method: string,
  id: string,
  timeoutMs: number,
  attempt: number,
): ChipsetError {
  return new ChipsetError(
    ErrorCodes.CALL_TIMEOUT,
    `${ref}.${method} did not answer within ${timeoutMs} ms (attempt ${attempt}); ` +
      `raise calls.timeoutMs in its manifest if it needs longer`,
    { module: id, details: { method, timeoutMs, attempt } },
  );
}

/** `CHIP_ERR_INTERNAL`: `what` (a call of module `id`) threw something no part of Chipset coded, a bug. */
export function unexpectedError(what: string, id: string, err: unknown): ChipsetError {
  return new ChipsetError(
    ErrorCodes.INTERNAL,
    `${what} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`,
    { module: id, cause: err },
  );
}

/** A fallback's failure as a ChipsetError (its own if it is one; else `CALL_FAILED` with it as cause). */
export function fallbackError(err: unknown, original: ChipsetError): ChipsetError {
  if (err instanceof ChipsetError) return err;
  return new ChipsetError(
    ErrorCodes.CALL_FAILED,
    `the fallback for ${original.module ?? "the module"} failed too: ${err instanceof Error ? err.message : String(err)}`,
    { module: original.module, cause: err, details: { fallbackOf: original.code } },
  );
}
