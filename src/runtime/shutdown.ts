import type { Clock } from "../common/Clock.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { LifecycleRunner } from "../lifecycle/LifecycleRunner.js";
import { orderModules } from "./orderModules.js";
import type { Instance } from "../instances/Instance.js";
import { stateIsActive } from "../vocabulary/lifecycle.js";

/**
 * A module that was down when shutdown reached it, so it had no stop hook to run; its host ends
 * with the runtime. `status`: `crashed` (its restart, if one was due, is cancelled), `restarting`
 * (the restart under way is abandoned) or `failed` (given up on, or failed to stop, earlier).
 */
export interface DownAtShutdown {
  id: string;
  status: "crashed" | "restarting" | "failed";
  /** Its last crash or failure, when known. */
  error: ChipsetError | undefined;
}

/**
 * What shutdown did with every module that was active or down: stopped, failed to stop (or
 * missed the deadline), or down already. Modules never loaded, or unloaded earlier, are in none.
 */
export interface ShutdownReport {
  stopped: string[];
  failed: Array<{ id: string; error: ChipsetError }>;
  down: DownAtShutdown[];
}

/**
 * Stops `instances` in reverse dependency order, one level at a time (dependents first; each
 * level in parallel), within `deadlineMs`. A module still stopping at the deadline is reported
 * with `CHIP_ERR_SHUTDOWN_TIMEOUT`; the rest of shutdown goes on. `isDown(key)` (`id@version`) tells a module
 * being restarted after a crash (the supervisor's view) from one that is merely not loaded.
 */
export async function shutdownInstances(
  instances: readonly Instance[],
  options: { runner: LifecycleRunner; clock: Clock; deadlineMs: number; isDown?: (key: string) => boolean },
): Promise<ShutdownReport> {
  const byKey = new Map(instances.map((i) => [i.key, i]));
  const levels = orderModules(
    instances.map((i) => i.key),
    (key) => byKey.get(key)!.deps.map((d) => ({ id: d.key, optional: d.optional })),
  );
  const report: ShutdownReport = { stopped: [], failed: [], down: [] };
  const noteDown = (inst: Instance): void => {
    const down = downAtShutdown(inst, options.isDown);
    if (down !== undefined) report.down.push(down);
  };
  let expired = false;
  let timesUp!: () => void;
  const timeUp = new Promise<"timeout">((resolve) => (timesUp = () => resolve("timeout")));
  const deadline = options.clock.setTimeout(() => {
    expired = true;
    timesUp();
  }, options.deadlineMs);
  try {
    for (const level of [...levels].reverse()) {
      if (expired) {
        // Past the deadline: what is left is not stopped (its dependents may still be stopping),
        // but every module is reported.
        for (const key of level) {
          const inst = byKey.get(key)!;
          if (stateIsActive(inst.state))
            report.failed.push({ id: shownId(inst), error: notStopped(inst, options.deadlineMs) });
          else noteDown(inst);
        }
        continue;
      }
      const pending = new Set<Instance>();
      const work = level.map(async (key) => {
        const inst = byKey.get(key)!;
        const id = shownId(inst);
        if (!stateIsActive(inst.state)) {
          noteDown(inst);
          return;
        }
        if (expired) {
          report.failed.push({ id, error: timeoutError(inst, options.deadlineMs) });
          return;
        }
        pending.add(inst);
        try {
          await options.runner.run(inst, "stop");
          report.stopped.push(id);
        } catch (err) {
          report.failed.push({ id, error: err as ChipsetError });
        } finally {
          pending.delete(inst);
        }
      });
      const outcome = await Promise.race([Promise.all(work), timeUp]);
      if (outcome === "timeout") {
        expired = true;
        for (const inst of pending)
          report.failed.push({ id: shownId(inst), error: timeoutError(inst, options.deadlineMs) });
      }
    }
  } finally {
    deadline.dispose();
  }
  return report;
}

function downAtShutdown(
  inst: Instance,
  isDown: ((key: string) => boolean) | undefined,
): DownAtShutdown | undefined {
  const error = inst.lastError;
  if (inst.state === "crashed" || inst.state === "failed")
    return { id: shownId(inst), status: inst.state, error };
  // Unloaded by its restart and not back yet (registered or loaded again).
  if (isDown?.(inst.key) === true) return { id: shownId(inst), status: "restarting", error };
  return undefined;
}

function notStopped(inst: Instance, ms: number): ChipsetError {
  return new ChipsetError(
    ErrorCodes.SHUTDOWN_TIMEOUT,
    `${inst.key} was not stopped: the ${ms} ms shutdown deadline passed while modules that depend on it were still stopping`,
    { module: inst.key, details: { deadlineMs: ms, stopped: false } },
  );
}

function timeoutError(inst: Instance, ms: number): ChipsetError {
  return new ChipsetError(
    ErrorCodes.SHUTDOWN_TIMEOUT,
    `${inst.key} was still stopping when the ${ms} ms shutdown deadline passed; its stop hook may be stuck`,
    { module: inst.key, details: { deadlineMs: ms } },
  );
}

/** How a report names `inst`: its module id, and `#replica` after a module's first replica (as `chipset ls` does). */
function shownId(inst: Instance): string {
  return inst.replica === 0 ? inst.id : `${inst.id}#${inst.replica}`;
}
