import type { InstanceSummary, Runtime } from "../runtime/Runtime.js";
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
 * Whether the host is ready to serve: the runtime is started, every eager module runs (one of
 * its versions, while an update has two) and is in service (its readiness probe, if any, passes), and no module an eager one requires (transitively,
 * `requires` only) has failed or crashed. An eager module an operator stopped through the host
 * (see `Runtime.desiredRuns`) is stopped on purpose and does not count. Reads the catalogue, the
 * instance table and the small table of operators' wishes.
 */
export function readiness(runtime: Runtime): Readiness {
  const phase = runtime.phase;
  if (phase !== "started") return { ready: false, phase, notReady: [] };
  const live = new Map<string, InstanceSummary[]>();
  for (const inst of runtime.instances()) live.set(inst.id, [...(live.get(inst.id) ?? []), inst]);
  const notReady: NotReady[] = [];
  const required = new Set<string>();
  // list() puts the highest version of each id first.
  const eager = new Map<string, string>();
  const outOfService = new Set<string>(); // id@version taken out of service by its readiness probe
  const stoppedOnPurpose = new Set(
    runtime
      .desiredRuns()
      .filter((d) => d.state === "stopped")
      .map((d) => d.id),
  );
  for (const m of runtime.queries.list()) {
    if (m.activation === "eager" && !eager.has(m.id) && !stoppedOnPurpose.has(m.id))
      eager.set(m.id, m.version);
    if (!m.ready) outOfService.add(`${m.id}@${m.version}`);
  }
  for (const [id, highest] of eager) {
    const instances = live.get(id) ?? [];
    const running = instances.filter((i) => i.state === "running");
    if (running.length === 0) {
      const state = instances[0]?.state ?? "registered";
      const version = instances[0]?.version ?? highest;
      notReady.push({ id, version, state, reason: `eager module ${id}@${version} is ${state}, not running` });
    } else if (running.every((i) => outOfService.has(i.key))) {
      const { version, state } = running[0]!;
      notReady.push({
        id,
        version,
        state,
        reason: `eager module ${id}@${version} is out of service: its readiness probe fails`,
      });
    }
    collectRequired(runtime, id, required);
  }
  for (const id of required) {
    if (eager.has(id)) continue;
    for (const inst of live.get(id) ?? [])
      if (inst.state === "failed" || inst.state === "crashed")
        notReady.push({
          id,
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
