/** The module functions the supervisor calls: `importState` after a restart, `dependencyChanged` on a dependent. */
import type { Clock } from "../common/Clock.js";
import { type LazyAbort, race } from "../common/race.js";
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { DependencyChange } from "../module.js";
import type { Supervised } from "./Supervised.js";
import type { Checkpoint } from "./SupervisionStore.js";

/**
 * Hands the last checkpoint to the module's `importState`, within its `init` timeout (ms); its
 * signal (`currentCall().signal` inside) fires at the timeout, or when `abort` calls the restart
 * off (stopped on request, or shutdown). Rejects with `CHIP_ERR_HOOK_TIMEOUT` at the timeout, and
 * with `CHIP_ERR_HOOK_FAILED` when `importState` throws.
 */
export function importCheckpoint(
  inst: Supervised,
  checkpoint: Checkpoint,
  abort: LazyAbort,
  clock: Clock,
): Promise<unknown> {
  const ms = inst.timeoutFor("init");
  const what = `importState() of ${inst.key}`;
  let value: unknown;
  try {
    value = inst.host.callFunction("importState", [checkpoint.state, checkpoint.version], abort.signal);
  } catch (err) {
    return Promise.reject(importFailed(err, inst));
  }
  return race(Promise.resolve(value), {
    clock,
    ms,
    onTimeout: () => {
      throw new ChipsetError(
        ErrorCodes.HOOK_TIMEOUT,
        `${what} did not finish within ${ms} ms of the restart; raise chipset.timeouts.init in its manifest or find what blocks it`,
        { module: inst.key, details: { phase: "importState", timeoutMs: ms } },
      );
    },
    signal: abort.signal,
    what,
    module: inst.key,
    onReject: (err) => importFailed(err, inst),
    onGiveUp: (reason) => abort.abort(reason),
  });
}

/**
 * Tells `dep` through its `dependencyChanged` (if it has one) what happened to a dependency;
 * what that throws or rejects with goes to `onError`, never to the caller.
 */
export function notifyDependent(
  dep: Supervised,
  change: DependencyChange,
  onError: (context: string, error: unknown) => void,
): void {
  if (!dep.host.hasFunction("dependencyChanged")) return;
  const report = (error: unknown) => onError(`dependencyChanged of ${dep.key}`, error);
  try {
    const value = dep.host.callFunction("dependencyChanged", [change]);
    if (value instanceof Promise) value.catch(report);
  } catch (error) {
    report(error);
  }
}

/**
 * Why a restart of `inst` failed, as a coded error: a ChipsetError as it is; anything else is
 * reported as a failure of `importState` (the restart's one step that runs the module's own
 * code without coding what it throws).
 */
export function restartError(err: unknown, inst: Supervised): ChipsetError {
  return err instanceof ChipsetError ? err : importFailed(err, inst);
}

/** What `importState` threw, as the hook failure it is (a crash keeps its own code). */
function importFailed(err: unknown, inst: Supervised): ChipsetError {
  if (err instanceof ChipsetError && err.code === ErrorCodes.MODULE_CRASHED) return err;
  return new ChipsetError(ErrorCodes.HOOK_FAILED, `${inst.key}: importState() failed: ${messageOf(err)}`, {
    module: inst.key,
    cause: err,
    details: { hook: "importState" },
  });
}

/** Why a restart in progress was called off. */
export function released(id: string): ChipsetError {
  return new ChipsetError(
    ErrorCodes.ABORTED,
    `the restart of ${id} was called off: it was stopped or unloaded on request, or the runtime is closing`,
    { module: id },
  );
}

/** Who an event is about: the module's id and version, and the replica's number after the first. */
export function refOf(inst: Supervised): { id: string; version: string; replica?: number } {
  const { id, version, replica } = inst;
  return replica === 0 ? { id, version } : { id, version, replica };
}
