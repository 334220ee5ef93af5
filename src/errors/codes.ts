/**
 * Every stable error code Chipset raises. Codes are public API: never reuse or rename one.
 * Each is documented in `docs/errors.md` (a test fails when one is missing).
 */
export const ErrorCodes = {
  /** A manifest (`chipset` field of package.json) failed validation. */
  MANIFEST_INVALID: "CHIP_ERR_MANIFEST_INVALID",
  /** Per-module configuration failed the module's `configSchema`. */
  CONFIG_INVALID: "CHIP_ERR_CONFIG_INVALID",
  /** The runtime options or `chipset.config.json` are malformed. */
  OPTIONS_INVALID: "CHIP_ERR_OPTIONS_INVALID",
  /** No module (or no such version) is registered under that id. */
  MODULE_NOT_FOUND: "CHIP_ERR_MODULE_NOT_FOUND",
  /** A module's `requires` names a module that is not registered at all. */
  DEPENDENCY_MISSING: "CHIP_ERR_DEPENDENCY_MISSING",
  /** The dependency graph contains a cycle. */
  DEPENDENCY_CYCLE: "CHIP_ERR_DEPENDENCY_CYCLE",
  /** No installed version satisfies every constraint on a module. */
  VERSION_CONFLICT: "CHIP_ERR_VERSION_CONFLICT",
  /** A module could not start because a hard dependency is not running. */
  DEPENDENCY_FAILED: "CHIP_ERR_DEPENDENCY_FAILED",
  /** A module called `ctx.use()` on a module it did not declare in `requires`/`optional`. */
  DEPENDENCY_UNDECLARED: "CHIP_ERR_DEPENDENCY_UNDECLARED",
  /** A lifecycle hook did not settle within its phase timeout. */
  HOOK_TIMEOUT: "CHIP_ERR_HOOK_TIMEOUT",
  /** A lifecycle hook (module or application) threw or rejected. */
  HOOK_FAILED: "CHIP_ERR_HOOK_FAILED",
  /** The requested lifecycle transition is not allowed from the current state. */
  INVALID_TRANSITION: "CHIP_ERR_INVALID_TRANSITION",
  /** A module's code could not be imported or does not export a module definition. */
  LOAD_FAILED: "CHIP_ERR_LOAD_FAILED",
  /** `loadSync` cannot load this module synchronously (top-level await, or not inline). */
  SYNC_LOAD_UNSUPPORTED: "CHIP_ERR_SYNC_LOAD_UNSUPPORTED",
  /** The module's `api` has no such method. */
  METHOD_NOT_FOUND: "CHIP_ERR_METHOD_NOT_FOUND",
  /** A method of the module threw or rejected; the original error is the `cause`. */
  CALL_FAILED: "CHIP_ERR_CALL_FAILED",
  /** The module is paused and the call could not wait any longer (queue full or wait too long). */
  MODULE_PAUSED: "CHIP_ERR_MODULE_PAUSED",
  /** The module cannot take calls in its current state (stopped, failed). */
  MODULE_UNAVAILABLE: "CHIP_ERR_MODULE_UNAVAILABLE",
  /** The module is down after a crash (restarting, or given up on): its calls fail at once, or go to its fallback. */
  MODULE_DOWN: "CHIP_ERR_MODULE_DOWN",
  /** The module runs but its readiness probe failed: it is out of service until the probe passes again; calls fail at once, or go to its fallback. */
  MODULE_NOT_READY: "CHIP_ERR_MODULE_NOT_READY",
  /** The operation needs the module not to be in use (running, or with running dependents). */
  MODULE_IN_USE: "CHIP_ERR_MODULE_IN_USE",
  /** The manifest asks for something its isolation cannot provide (e.g. `permissions` outside a process host). */
  ISOLATION_UNSUPPORTED: "CHIP_ERR_ISOLATION_UNSUPPORTED",
  /** A module tried what its host does not allow (a worker module signalling the process that hosts it). */
  PERMISSION_DENIED: "CHIP_ERR_PERMISSION_DENIED",
  /** The module's host died (thrown error, unhandled rejection, hang, heap, exit, abort, memory limit); `details.kind` says which. */
  MODULE_CRASHED: "CHIP_ERR_MODULE_CRASHED",
  /** A worker thread or child process for a module could not be started. */
  HOST_START_FAILED: "CHIP_ERR_HOST_START_FAILED",
  /** A call did not answer within its `calls` timeout; its signal was aborted. */
  CALL_TIMEOUT: "CHIP_ERR_CALL_TIMEOUT",
  /** The module's circuit breaker is open (or isolated by hand): the call was refused without reaching it. */
  BREAKER_OPEN: "CHIP_ERR_BREAKER_OPEN",
  /** The module's bulkhead had every slot busy and its queue full: the call was refused at once. */
  BULKHEAD_FULL: "CHIP_ERR_BULKHEAD_FULL",
  /** A dispatch strategy is unknown by that name, or one registered (or its settings) is malformed. */
  STRATEGY_INVALID: "CHIP_ERR_STRATEGY_INVALID",
  /** A call policy given at run time is malformed. */
  POLICY_INVALID: "CHIP_ERR_POLICY_INVALID",
  /** A state handed to `ctx.checkpoint` cannot be stored: it is not structured-clonable. */
  STATE_INVALID: "CHIP_ERR_STATE_INVALID",
  /** A fault injected on purpose by a chaos experiment (the `cause` of the error the call failed with). */
  CHAOS_FAULT: "CHIP_ERR_CHAOS_FAULT",
  /** A chaos experiment file is malformed. */
  EXPERIMENT_INVALID: "CHIP_ERR_EXPERIMENT_INVALID",
  /** A chaos experiment ran, and its steady-state hypothesis did not hold. */
  HYPOTHESIS_FAILED: "CHIP_ERR_HYPOTHESIS_FAILED",
  /** The operation was cancelled by its AbortSignal; `cause` is `signal.reason`. */
  ABORTED: "CHIP_ERR_ABORTED",
  /** Shutdown did not finish within its deadline. */
  SHUTDOWN_TIMEOUT: "CHIP_ERR_SHUTDOWN_TIMEOUT",
  /** The runtime was closed; no further operations are accepted. */
  RUNTIME_CLOSED: "CHIP_ERR_RUNTIME_CLOSED",
  /** An installed module's files no longer match the digest recorded when it was added: it is not loaded. */
  INTEGRITY_FAILED: "CHIP_ERR_INTEGRITY_FAILED",
  /** A source of new versions (directory, tarball, registry) could not be read or reached, answered an error, or lacks the package or version asked for. */
  SOURCE_FAILED: "CHIP_ERR_SOURCE_FAILED",
  /** A package's bytes (or a directory's tree digest) do not match the integrity the registry or the caller gave: nothing was kept. */
  INTEGRITY_MISMATCH: "CHIP_ERR_INTEGRITY_MISMATCH",
  /** A package's signature is missing (when trust requires one), made by an unknown key, or does not verify: nothing was kept. */
  SIGNATURE_INVALID: "CHIP_ERR_SIGNATURE_INVALID",
  /** A package from a source cannot be used as it is (not a tarball, an entry leading outside, a device, too large, another name): nothing was kept. */
  PACKAGE_INVALID: "CHIP_ERR_PACKAGE_INVALID",
  /** An update of a module did not happen, or was rolled back: the old version serves; `cause` is what failed, `details.report` names the step. */
  UPDATE_FAILED: "CHIP_ERR_UPDATE_FAILED",
  /** The persistent store could not be opened or written. */
  STORE_FAILED: "CHIP_ERR_STORE_FAILED",
  /** A registry row (or the database file) is damaged: it cannot be read back as it was written. */
  STORE_CORRUPT: "CHIP_ERR_STORE_CORRUPT",
  /** A module kind was registered twice. */
  KIND_EXISTS: "CHIP_ERR_KIND_EXISTS",
  /** A command-line invocation was malformed. */
  CLI_USAGE: "CHIP_ERR_CLI_USAGE",
  /** A request to the host's HTTP API had no bearer token, or the wrong one: nothing was done. */
  UNAUTHORIZED: "CHIP_ERR_UNAUTHORIZED",
  /** A request to the host's HTTP API is malformed: no such route, a body or query its schema refuses, a body too large. */
  REQUEST_INVALID: "CHIP_ERR_REQUEST_INVALID",
  /** The host already serves as many event streams (`GET /v1/events`) as it allows. */
  EVENT_STREAMS_FULL: "CHIP_ERR_EVENT_STREAMS_FULL",
  /** Another live host already serves this data directory (its `host.json` names a live pid). */
  HOST_RUNNING: "CHIP_ERR_HOST_RUNNING",
  /** The host's HTTP API could not listen on the address asked for (in use, not an address of this machine, not allowed). */
  LISTEN_FAILED: "CHIP_ERR_LISTEN_FAILED",
  /** `chipset service install` or `uninstall` could not finish: the unit file could not be written or removed, is not chipset's, or systemctl is missing or failed. */
  SERVICE_FAILED: "CHIP_ERR_SERVICE_FAILED",
  /** `chipset start --detach`: the host in the background exited before it was ready, or was not ready in time; its output is in `details.log`. */
  DETACH_FAILED: "CHIP_ERR_DETACH_FAILED",
  /** The CLI found a host (a live pid in `host.json`, or `--host`) but its API does not answer, or answers something that is not Chipset's API. */
  HOST_UNREACHABLE: "CHIP_ERR_HOST_UNREACHABLE",
  /** A command that acts on the running host (`stop <ref>`, `restart <ref>`...) found none serving the data directory. */
  HOST_NOT_RUNNING: "CHIP_ERR_HOST_NOT_RUNNING",
  /** No HTTP trigger of a registered module answers that method and path under `/t`. */
  TRIGGER_NOT_FOUND: "CHIP_ERR_TRIGGER_NOT_FOUND",
  /** The host serves no dashboard at `/`: its built assets (`dist/dashboard`) are not there (a checkout not built). */
  DASHBOARD_MISSING: "CHIP_ERR_DASHBOARD_MISSING",
  /** `GET /v1/logs` on a host that writes no log file (a runtime served without `logs.file`; `chipset start` writes one). */
  LOGS_NOT_KEPT: "CHIP_ERR_LOGS_NOT_KEPT",
  /** The cluster settings (`--cluster`, `--node`, `--labels`, the config's `cluster` section) are malformed, or NATS refused them (its credentials, its TLS). */
  CLUSTER_CONFIG_INVALID: "CHIP_ERR_CLUSTER_CONFIG_INVALID",
  /** Something failed that Chipset did not anticipate (a bug); the original error is the `cause`. */
  INTERNAL: "CHIP_ERR_INTERNAL",
} as const;

/** One of the stable `CHIP_ERR_*` codes. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
