import type { Instance } from "../instances/Instance.js";
import type { HostInfo } from "../vocabulary/hosts.js";
import type { Isolation } from "../vocabulary/manifest.js";
import type { LifecycleState } from "../vocabulary/lifecycle.js";

/** A live instance, as tools see it (`runtime.instances()`). */
export interface InstanceSummary {
  id: string;
  version: string;
  /** Its address in the instance table: `id@version`, and `#replica` after a module's first replica. */
  key: string;
  /** Which replica of `id@version` (0: the first, or the only one). */
  replica: number;
  isolation: Isolation;
  state: LifecycleState;
  /** Where its code runs now (pid, thread id). */
  host: HostInfo;
  /** Calls it served since it was made. */
  calls: number;
  /** Time since its last successful start or resume, in ms on the runtime's clock; null unless it is running or paused. */
  uptimeMs: number | null;
}

/** `inst` as tools see it, its uptime measured to `now` (ms on the runtime's clock). */
export function summarize(inst: Instance, now: number): InstanceSummary {
  const up = inst.startedAt !== undefined && (inst.state === "running" || inst.state === "paused");
  return {
    id: inst.id,
    version: inst.version,
    key: inst.key,
    replica: inst.replica,
    isolation: inst.isolation,
    state: inst.state,
    host: inst.host.info(),
    calls: inst.calls,
    uptimeMs: up ? now - inst.startedAt! : null,
  };
}
