import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Instance } from "../instances/Instance.js";

/** What a call made once the runtime is closing gets (the database may be closed: no lookup first). */
export function closedError(): ChipsetError {
  return new ChipsetError(ErrorCodes.RUNTIME_CLOSED, "the runtime is closed; create a new one to go on");
}

/** A call to a method the module's api does not have, with the methods it has. */
export function methodNotFound(inst: Instance, method: string): ChipsetError {
  const available = inst.host.methods();
  return new ChipsetError(
    ErrorCodes.METHOD_NOT_FOUND,
    `${inst.key} has no method "${method}"; its api has: ${available.join(", ") || "(no methods)"}`,
    { module: inst.key, details: { method, available } },
  );
}

/** What a call that failed in `inst` (or under it) fails with: the module's error as `CHIP_ERR_CALL_FAILED`, a crash or an abort as itself. */
export function callFailed(inst: Instance, method: string, err: unknown): ChipsetError {
  // The call did not fail in the module: it crashed under it, or the caller gave up on it.
  if (err instanceof ChipsetError && err.module === inst.key) {
    if (err.code === ErrorCodes.MODULE_CRASHED || err.code === ErrorCodes.ABORTED) return err;
  }
  return new ChipsetError(ErrorCodes.CALL_FAILED, `${inst.key}.${method} failed: ${messageOf(err)}`, {
    module: inst.key,
    cause: err,
    details: { method, ...(err instanceof ChipsetError ? { code: err.code } : {}) },
  });
}

/** What a call to `inst`, down after a crash (crashed and waiting for its restart, or failed), fails with. */
export function moduleDown(inst: Instance): ChipsetError {
  const fallback = inst.manifest.fallback;
  const kind = (inst.lastError?.details as { kind?: unknown } | undefined)?.kind;
  const why =
    kind === "resource-stop"
      ? `was stopped at its resource limit (limits.action "stop") and stays down until an operator restarts it: chipset restart ${inst.id}`
      : `is down after a crash (${inst.state}); calls fail until it is restarted`;
  return new ChipsetError(
    ErrorCodes.MODULE_DOWN,
    `${inst.key} ${why}` +
      (fallback === undefined ? ` (declare a "fallback" module in its manifest to answer meanwhile)` : ""),
    { module: inst.key, cause: inst.lastError, details: { state: inst.state } },
  );
}
