import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import type { IntegrityCheck } from "../registry/IntegrityCheck.js";
import { validateConfig } from "../registry/validateConfig.js";
import type { LifecycleCommand } from "../vocabulary/lifecycle.js";
import { configEntry } from "./configEntry.js";

/**
 * The runtime's checks before a transition (the lifecycle runner's guard): before `load`, an
 * installed module's files must still match their digest (`CHIP_ERR_INTEGRITY_FAILED`); before `init`, the
 * module's configuration (its version's own entry, see {@link configEntry}) is validated against its `configSchema` and handed to it; before
 * `start`, its hard dependencies must be running (or paused: calls to them wait). Throws to refuse.
 */
export function transitionGuard(
  moduleConfig: ReadonlyMap<string, unknown>,
  instances: InstanceReader,
  integrity: IntegrityCheck,
): (inst: Instance, command: LifecycleCommand) => void {
  return (inst, command) => {
    if (command === "load") integrity.assertIntact(inst.record);
    if (command === "init") {
      const schema = inst.manifest.configSchema;
      const raw = configEntry(moduleConfig, inst.id, inst.version) ?? {};
      // validateConfig works on a copy of its own.
      inst.config = schema ? validateConfig(schema, raw, inst.id) : raw;
    }
    if (command !== "start") return;
    for (const dep of inst.deps) {
      if (dep.optional) continue;
      const other = instances.answering(dep.id, undefined, inst);
      if (!other || (other.state !== "running" && other.state !== "paused")) {
        throw new ChipsetError(
          ErrorCodes.DEPENDENCY_FAILED,
          `${inst.key} cannot start: its dependency ${dep.id} is ${other?.state ?? "not loaded"} (${inst.id} -> ${dep.id}); start ${dep.id} first`,
          { module: inst.key, details: { chain: [inst.id, dep.id], failed: dep.id } },
        );
      }
    }
  };
}
