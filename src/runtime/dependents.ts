import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { LifecycleRunner } from "../lifecycle/LifecycleRunner.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import { stateIsActive } from "../vocabulary/lifecycle.js";

/** The active instances that depend (hard or optional) on `inst`. */
export function runningDependents(instances: InstanceReader, inst: Instance): Instance[] {
  return [...instances.all()].filter(
    (other) => stateIsActive(other.state) && other.deps.some((d) => d.key === inst.key),
  );
}

/**
 * Makes way for stopping `inst`: with `cascade`, stops its running dependents first (theirs
 * before them, recursively) and resolves with them; without, refuses with
 * `CHIP_ERR_MODULE_IN_USE` naming them.
 */
export async function stopDependents(
  instances: InstanceReader,
  runner: LifecycleRunner<Instance>,
  inst: Instance,
  options: { cascade?: boolean; signal?: AbortSignal },
): Promise<Instance[]> {
  const dependents = runningDependents(instances, inst);
  if (dependents.length === 0) return [];
  if (!options.cascade) {
    throw new ChipsetError(
      ErrorCodes.MODULE_IN_USE,
      `${inst.key} has running dependents (${dependents.map((d) => d.key).join(", ")}); stop them first, or pass cascade (--cascade on the command line, { "cascade": true } in the API's body)`,
      { module: inst.key, details: { dependents: dependents.map((d) => d.key) } },
    );
  }
  const stopped: Instance[] = [];
  for (const dep of dependents) {
    stopped.push(...(await stopDependents(instances, runner, dep, options)));
    if (stateIsActive(dep.state)) await runner.run(dep, "stop", options.signal);
    stopped.push(dep);
  }
  return stopped;
}
