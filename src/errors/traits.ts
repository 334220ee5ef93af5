import { ErrorCodes, type ErrorCode } from "./codes.js";

/** What kind of failure an error is, for programs that react to classes of errors. */
export type ErrorCategory =
  | "validation"
  | "not-found"
  | "dependency"
  | "version"
  | "timeout"
  | "cancelled"
  | "crash"
  | "module"
  | "overload"
  | "policy"
  | "integrity"
  | "internal";

/** How bad it is: `warning` (expected under load, handled), `error`, `fatal` (the runtime cannot go on as it was). */
export type ErrorSeverity = "warning" | "error" | "fatal";

/** The fixed traits of an error code. */
export interface ErrorTraits {
  category: ErrorCategory;
  severity: ErrorSeverity;
  /** Worth retrying as it is: the same request may succeed later without anyone changing anything. */
  transient: boolean;
}

const t = (category: ErrorCategory, severity: ErrorSeverity, transient: boolean): ErrorTraits =>
  Object.freeze({ category, severity, transient });

/**
 * The traits of every code, in one table (documented in docs/errors.md): the category, the
 * severity, and whether retrying the same request can succeed. Errors thrown by a module's own
 * code (`HOOK_FAILED`, `CALL_FAILED`, `LOAD_FAILED`, and chaos faults that stand in for them)
 * are in the `module` category, apart from `internal` (a bug in Chipset itself), and not
 * transient by default (a retry policy may still declare a method idempotent).
 */
export const errorTraits: Readonly<Record<ErrorCode, ErrorTraits>> = Object.freeze({
  [ErrorCodes.MANIFEST_INVALID]: t("validation", "error", false),
  [ErrorCodes.CONFIG_INVALID]: t("validation", "error", false),
  [ErrorCodes.OPTIONS_INVALID]: t("validation", "error", false),
  [ErrorCodes.MODULE_NOT_FOUND]: t("not-found", "error", false),
  [ErrorCodes.DEPENDENCY_MISSING]: t("dependency", "error", false),
  [ErrorCodes.DEPENDENCY_CYCLE]: t("dependency", "error", false),
  [ErrorCodes.VERSION_CONFLICT]: t("version", "error", false),
  [ErrorCodes.DEPENDENCY_FAILED]: t("dependency", "error", true),
  [ErrorCodes.DEPENDENCY_UNDECLARED]: t("dependency", "error", false),
  [ErrorCodes.HOOK_TIMEOUT]: t("timeout", "error", true),
  [ErrorCodes.HOOK_FAILED]: t("module", "error", false),
  [ErrorCodes.INVALID_TRANSITION]: t("validation", "error", false),
  [ErrorCodes.LOAD_FAILED]: t("module", "error", false),
  [ErrorCodes.SYNC_LOAD_UNSUPPORTED]: t("validation", "error", false),
  [ErrorCodes.METHOD_NOT_FOUND]: t("not-found", "error", false),
  [ErrorCodes.CALL_FAILED]: t("module", "error", false),
  [ErrorCodes.MODULE_PAUSED]: t("overload", "warning", true),
  [ErrorCodes.MODULE_UNAVAILABLE]: t("dependency", "warning", true),
  [ErrorCodes.MODULE_DOWN]: t("dependency", "warning", true),
  [ErrorCodes.MODULE_NOT_READY]: t("dependency", "warning", true),
  [ErrorCodes.MODULE_IN_USE]: t("validation", "error", false),
  [ErrorCodes.ISOLATION_UNSUPPORTED]: t("validation", "error", false),
  [ErrorCodes.PERMISSION_DENIED]: t("policy", "error", false),
  [ErrorCodes.MODULE_CRASHED]: t("crash", "error", true),
  [ErrorCodes.HOST_START_FAILED]: t("crash", "error", true),
  [ErrorCodes.CALL_TIMEOUT]: t("timeout", "warning", true),
  [ErrorCodes.BREAKER_OPEN]: t("policy", "warning", true),
  [ErrorCodes.BULKHEAD_FULL]: t("overload", "warning", true),
  [ErrorCodes.POLICY_INVALID]: t("validation", "error", false),
  [ErrorCodes.STRATEGY_INVALID]: t("validation", "error", false),
  [ErrorCodes.STATE_INVALID]: t("validation", "error", false),
  [ErrorCodes.CHAOS_FAULT]: t("module", "warning", true),
  [ErrorCodes.EXPERIMENT_INVALID]: t("validation", "error", false),
  [ErrorCodes.HYPOTHESIS_FAILED]: t("policy", "error", false),
  [ErrorCodes.ABORTED]: t("cancelled", "warning", false),
  [ErrorCodes.SHUTDOWN_TIMEOUT]: t("timeout", "error", false),
  [ErrorCodes.RUNTIME_CLOSED]: t("cancelled", "warning", false),
  [ErrorCodes.INTEGRITY_FAILED]: t("integrity", "error", false),
  [ErrorCodes.SOURCE_FAILED]: t("dependency", "error", true),
  [ErrorCodes.INTEGRITY_MISMATCH]: t("integrity", "error", false),
  [ErrorCodes.SIGNATURE_INVALID]: t("integrity", "error", false),
  [ErrorCodes.PACKAGE_INVALID]: t("validation", "error", false),
  [ErrorCodes.UPDATE_FAILED]: t("dependency", "error", false),
  [ErrorCodes.STORE_FAILED]: t("internal", "fatal", false),
  [ErrorCodes.STORE_CORRUPT]: t("internal", "error", false),
  [ErrorCodes.KIND_EXISTS]: t("validation", "error", false),
  [ErrorCodes.CLI_USAGE]: t("validation", "error", false),
  [ErrorCodes.UNAUTHORIZED]: t("policy", "error", false),
  [ErrorCodes.REQUEST_INVALID]: t("validation", "error", false),
  [ErrorCodes.EVENT_STREAMS_FULL]: t("overload", "warning", true),
  [ErrorCodes.HOST_RUNNING]: t("validation", "error", false),
  [ErrorCodes.LISTEN_FAILED]: t("dependency", "error", true),
  [ErrorCodes.SERVICE_FAILED]: t("dependency", "error", false),
  [ErrorCodes.DETACH_FAILED]: t("dependency", "error", false),
  [ErrorCodes.HOST_UNREACHABLE]: t("dependency", "error", true),
  [ErrorCodes.HOST_NOT_RUNNING]: t("validation", "error", false),
  [ErrorCodes.TRIGGER_NOT_FOUND]: t("not-found", "error", false),
  [ErrorCodes.DASHBOARD_MISSING]: t("not-found", "error", false),
  [ErrorCodes.LOGS_NOT_KEPT]: t("not-found", "error", false),
  [ErrorCodes.CLUSTER_CONFIG_INVALID]: t("validation", "error", false),
  [ErrorCodes.INTERNAL]: t("internal", "fatal", false),
});
