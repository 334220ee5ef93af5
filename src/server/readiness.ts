import type { Runtime } from "../runtime/Runtime.js";
import type { LifecycleState } from "../vocabulary/lifecycle.js";

/** A module that keeps the host from being ready, and why. */
export interface NotReady {
  id: string;
  version: string | null;
  state: LifecycleState;
  reason: string;
}

/** What `/readyz` answers. */
export interface Readiness {
  ready: boolean;
  phase: Runtime["phase"];
  notReady: NotReady[];
}

/**
 * Whether the host is ready to serve: the runtime is started, every eager module runs, and no
 * module an eager one requires (transitively, `requires` only) has failed or crashed.
 */
export function readiness(runtime: Runtime): Readiness {
  const phase = runtime.phase;
  if (phase !== "started") return { ready: false, phase, notReady: [] };
  const notReady: NotReady[] = [];
  const live = runtime.instances();
  const eager = new Set(
    runtime.queries
      .list()
      .filter((m) => m.activation === "eager")
      .map((m) => m.id),
  );
  const required = new Set<string>();
  for (const id of eager) {
    const info = runtime.queries.info(id);
    if (info.state !== "running")
      notReady.push({
        id,
        version: info.version,
        state: info.state,
        reason: `eager module ${id}@${info.version} is ${info.state}, not running`,
      });
    collectRequired(runtime, id, required);
  }
  for (const inst of live) {
    if (!required.has(inst.id) || eager.has(inst.id)) continue;
    if (inst.state === "failed" || inst.state === "crashed")
      notReady.push({
        id: inst.id,
        version: inst.version,
        state: inst.state,
        reason: `${inst.key}, required by an eager module, is ${inst.state}`,
      });
  }
  return { ready: notReady.length === 0, phase, notReady };
}

/** Adds the ids `id` requires, directly or not, to `into`. */
function collectRequired(runtime: Runtime, id: string, into: Set<string>): void {
  for (const dep of runtime.queries.dependencies(id)) {
    if (dep.optional || into.has(dep.id) || dep.resolved === null) continue;
    into.add(dep.id);
    collectRequired(runtime, dep.id, into);
  }
}
