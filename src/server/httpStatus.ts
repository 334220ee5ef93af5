import { ChipsetError, ErrorCodes, type ErrorCode } from "../errors/index.js";

/**
 * The HTTP status the host's API answers each error code with, one row per code (a new code
 * does not compile until it has one). 404: nothing by that name; 409: not in a state (or a
 * graph) that allows it; 503: cannot serve now, retry later; 504: too slow; 502: the module's
 * own code (or a source of versions) failed, the host did not; 400: the request itself is wrong;
 * 422: the package or module cannot be used as it is; 500: Chipset's own failure.
 */
export const httpStatusOf: Readonly<Record<ErrorCode, number>> = Object.freeze({
  [ErrorCodes.MANIFEST_INVALID]: 422,
  [ErrorCodes.CONFIG_INVALID]: 422,
  [ErrorCodes.OPTIONS_INVALID]: 400,
  [ErrorCodes.MODULE_NOT_FOUND]: 404,
  [ErrorCodes.DEPENDENCY_MISSING]: 409,
  [ErrorCodes.DEPENDENCY_CYCLE]: 409,
  [ErrorCodes.VERSION_CONFLICT]: 409,
  [ErrorCodes.DEPENDENCY_FAILED]: 503,
  [ErrorCodes.DEPENDENCY_UNDECLARED]: 502,
  [ErrorCodes.HOOK_TIMEOUT]: 504,
  [ErrorCodes.HOOK_FAILED]: 502,
  [ErrorCodes.INVALID_TRANSITION]: 409,
  [ErrorCodes.LOAD_FAILED]: 502,
  [ErrorCodes.SYNC_LOAD_UNSUPPORTED]: 409,
  [ErrorCodes.METHOD_NOT_FOUND]: 404,
  [ErrorCodes.CALL_FAILED]: 502,
  [ErrorCodes.MODULE_PAUSED]: 503,
  [ErrorCodes.MODULE_UNAVAILABLE]: 503,
  [ErrorCodes.MODULE_DOWN]: 503,
  [ErrorCodes.MODULE_NOT_READY]: 503,
  [ErrorCodes.MODULE_IN_USE]: 409,
  [ErrorCodes.ISOLATION_UNSUPPORTED]: 422,
  [ErrorCodes.PERMISSION_DENIED]: 403,
  [ErrorCodes.MODULE_CRASHED]: 503,
  [ErrorCodes.HOST_START_FAILED]: 503,
  [ErrorCodes.CALL_TIMEOUT]: 504,
  [ErrorCodes.BREAKER_OPEN]: 503,
  [ErrorCodes.BULKHEAD_FULL]: 503,
  [ErrorCodes.POLICY_INVALID]: 400,
  [ErrorCodes.STRATEGY_INVALID]: 400,
  [ErrorCodes.STATE_INVALID]: 502,
  [ErrorCodes.CHAOS_FAULT]: 502,
  [ErrorCodes.EXPERIMENT_INVALID]: 400,
  [ErrorCodes.HYPOTHESIS_FAILED]: 422,
  [ErrorCodes.ABORTED]: 503,
  [ErrorCodes.SHUTDOWN_TIMEOUT]: 503,
  [ErrorCodes.RUNTIME_CLOSED]: 503,
  [ErrorCodes.INTEGRITY_FAILED]: 422,
  [ErrorCodes.SOURCE_FAILED]: 502,
  [ErrorCodes.INTEGRITY_MISMATCH]: 422,
  [ErrorCodes.SIGNATURE_INVALID]: 422,
  [ErrorCodes.PACKAGE_INVALID]: 422,
  [ErrorCodes.UPDATE_FAILED]: 409,
  [ErrorCodes.STORE_FAILED]: 500,
  [ErrorCodes.STORE_CORRUPT]: 500,
  [ErrorCodes.KIND_EXISTS]: 409,
  [ErrorCodes.CLI_USAGE]: 400,
  [ErrorCodes.UNAUTHORIZED]: 401,
  [ErrorCodes.REQUEST_INVALID]: 400,
  [ErrorCodes.EVENT_STREAMS_FULL]: 503,
  [ErrorCodes.HOST_RUNNING]: 409,
  [ErrorCodes.LISTEN_FAILED]: 500,
  [ErrorCodes.SERVICE_FAILED]: 500,
  [ErrorCodes.DETACH_FAILED]: 500,
  // The CLI raises these two about a host; no host answers them, but they keep the table whole.
  [ErrorCodes.HOST_UNREACHABLE]: 502,
  [ErrorCodes.HOST_NOT_RUNNING]: 409,
  [ErrorCodes.TRIGGER_NOT_FOUND]: 404,
  [ErrorCodes.DASHBOARD_MISSING]: 404,
  [ErrorCodes.LOGS_NOT_KEPT]: 404,
  [ErrorCodes.CLUSTER_CONFIG_INVALID]: 400,
  [ErrorCodes.INTERNAL]: 500,
});

/** What the API answers for an error: its status and its JSON (`ChipsetError.toJSON()`). */
export interface ErrorReply {
  status: number;
  body: ReturnType<ChipsetError["toJSON"]>;
}

/**
 * The reply for anything a route threw: a ChipsetError with the status of its code; anything else
 * is a bug, `CHIP_ERR_INTERNAL` (500) naming what was thrown.
 */
export function errorReply(err: unknown): ErrorReply {
  const error =
    err instanceof ChipsetError
      ? err
      : new ChipsetError(
          ErrorCodes.INTERNAL,
          `the host failed to answer: ${err instanceof Error ? err.message : String(err)}; this is a bug in Chipset, please report it`,
          { cause: err },
        );
  return { status: httpStatusOf[error.code], body: error.toJSON() };
}
