/** The errors the lifecycle runner raises for a module: its hook failed, or it cannot be brought up. */
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { LifecycleCommand } from "../vocabulary/lifecycle.js";
import type { LifecycleSubject } from "./LifecycleSubject.js";

/** `CHIP_ERR_MODULE_UNAVAILABLE` for a subject that is `failed` or `crashed`, saying how it comes back. */
export function unavailable(subject: LifecycleSubject): ChipsetError {
  const what =
    subject.state === "crashed"
      ? "its supervisor restarts it if its restart policy allows; or unload it, then use it again"
      : "unload it, then use it again";
  return new ChipsetError(
    ErrorCodes.MODULE_UNAVAILABLE,
    `${subject.key} is ${subject.state} (${subject.lastError?.message ?? "unknown cause"}); ${what}`,
    { module: subject.key, cause: subject.lastError, details: { state: subject.state } },
  );
}

/** What hook `hook` threw, as `CHIP_ERR_HOOK_FAILED` (a crash keeps its own code). */
export function hookFailed(err: unknown, subject: LifecycleSubject, hook: string): ChipsetError {
  // A crash is not the hook's failure: keep its code so callers see CHIP_ERR_MODULE_CRASHED.
  if (err instanceof ChipsetError && err.code === ErrorCodes.MODULE_CRASHED) return err;
  return new ChipsetError(ErrorCodes.HOOK_FAILED, `${subject.key}: ${hook} hook failed: ${messageOf(err)}`, {
    module: subject.key,
    cause: err,
    details: { hook },
  });
}

/** `err` as a ChipsetError: itself if it is one, else the failure of `command`'s hook. */
export function toChipsetError(
  err: unknown,
  subject: LifecycleSubject,
  command: LifecycleCommand,
): ChipsetError {
  return err instanceof ChipsetError ? err : hookFailed(err, subject, command);
}
