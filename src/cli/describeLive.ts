import type { BreakerSnapshot } from "../policies/PolicyBook.js";
import type { LiveInstance, ModuleView } from "../server/ModuleViews.js";
import type { HostInfo } from "../vocabulary/hosts.js";
import { list, table, uptime } from "./format.js";
import { bytes, percent } from "./formatUnits.js";

/**
 * `chipset ls` with a host, one row per registered version as `pm2 ls` shows processes: its
 * state, the host kind, pid and worker thread its code runs in, the calls it served, its
 * restarts after a crash (since the host started), its CPU % and memory over the latest sample
 * and its uptime; `-` where it is not live or not measured (an inline module's memory). Each
 * replica after a module's first has a row of its own, `id#replica`.
 */
export function liveTable(modules: readonly ModuleView[]): string[] {
  const row = (m: ModuleView, id: string, state: string, inst: LiveInstance | null) => [
    id,
    m.version,
    state,
    inst?.host.isolation ?? m.isolation,
    inst === null ? "-" : String(inst.host.pid),
    inst === null || inst.host.threadId === 0 ? "-" : String(inst.host.threadId),
    inst === null ? "-" : String(inst.calls),
    inst === null ? "-" : String(inst.restarts),
    percent(inst?.resources?.cpuPercent),
    bytes(inst?.resources?.memoryBytes),
    inst?.uptimeMs == null ? "-" : uptime(inst.uptimeMs),
  ];
  return table(
    ["ID", "VERSION", "STATE", "HOST", "PID", "THREAD", "CALLS", "RESTARTS", "CPU", "MEM", "UPTIME"],
    modules.flatMap((m) => [
      row(m, m.id, stateOf(m.state, m.breakers, m.ready), m.instance),
      // A replicated module's other replicas, each on a row of its own, as pm2 ls shows a cluster.
      ...m.replicas.filter((r) => r.replica !== 0).map((r) => row(m, `${m.id}#${r.replica}`, r.state, r)),
    ]),
  );
}

/** The fields `chipset info` adds with a host: uptime, restarts since the host started, breakers. */
export function liveInfoFields(
  version: string,
  instances: readonly LiveInstance[],
  breakers: readonly BreakerSnapshot[],
): Array<readonly [string, string]> {
  const own = instances.find((i) => i.version === version);
  return [
    ["uptime", own?.uptimeMs == null ? "-" : uptime(own.uptimeMs)],
    ["restarts", own === undefined ? "-" : `${own.restarts} since the host started`],
    ["breakers", list(breakers.map(describeBreaker), "none tripped yet")],
  ];
}

/** The other versions of the id live on the host (side by side, or during an update), one line each. */
export function otherLiveLines(version: string, instances: readonly LiveInstance[]): string[] {
  const others = instances.filter((i) => i.version !== version);
  if (others.length === 0) return [];
  return [
    "  other live versions",
    ...others.map(
      (i) =>
        `    ${i.version} ${i.state} ${runsIn(i.host)}, ${i.calls} calls, up ${i.uptimeMs === null ? "-" : uptime(i.uptimeMs)}`,
    ),
  ];
}

/** Where a live instance's code runs, for a sentence: `in process 4301`, `in worker thread 3 of 4242`, `inline in 4242`. */
export function runsIn(host: HostInfo): string {
  if (host.isolation === "inline") return `inline in ${host.pid}`;
  if (host.isolation === "worker") return `in worker thread ${host.threadId} of ${host.pid}`;
  return `in process ${host.pid}`;
}

function describeBreaker(b: BreakerSnapshot): string {
  return `${b.method === undefined ? "module" : `method ${b.method}`} ${b.state}`;
}

/** The state, with what keeps a running module from serving: `running (breaker open)`, `running (not ready)`. */
function stateOf(state: string, breakers: readonly BreakerSnapshot[], ready: boolean | undefined): string {
  const notes = [
    ...(ready === false ? ["not ready"] : []),
    ...breakers.filter((b) => b.state !== "closed").map((b) => `breaker ${b.state}`),
  ];
  return notes.length === 0 ? state : `${state} (${[...new Set(notes)].join(", ")})`;
}
