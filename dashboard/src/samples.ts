// A replicated module is one row of the table: its figures are its replicas' together (CPU,
// memory, disk and network summed, calls summed, the worst p99), whether they came from the
// table's fetch or from a `resources.sampled` round.

import type { LiveInstance, ModuleView, ResourceSample } from "./api/types.js";

/** One module's figures in a `resources.sampled` round: its resources, and its calls over the interval. */
export type Sample = ResourceSample & {
  id: string;
  version: string;
  replica?: number;
  intervalMs: number;
  calls: number;
  p99Ms: number | null;
};

const add = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : a + b);
const max = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);

/** Two readings of the same round as one: sums, and the worse p99. */
function combine<T extends ResourceSample & { p99Ms?: number | null }>(a: T, b: T): T {
  return {
    ...a,
    cpuPercent: a.cpuPercent + b.cpuPercent,
    memoryBytes: add(a.memoryBytes, b.memoryBytes),
    rssBytes: add(a.rssBytes, b.rssBytes),
    heapUsedBytes: add(a.heapUsedBytes, b.heapUsedBytes),
    fsReadBps: a.fsReadBps + b.fsReadBps,
    fsWriteBps: a.fsWriteBps + b.fsWriteBps,
    netInBps: a.netInBps + b.netInBps,
    netOutBps: a.netOutBps + b.netOutBps,
    p99Ms: max(a.p99Ms ?? null, b.p99Ms ?? null),
  };
}

/** A round's samples by `id@version`, every replica's figures together. */
export function byVersion(samples: readonly Sample[]): Map<string, Sample> {
  const out = new Map<string, Sample>();
  for (const s of samples) {
    const key = `${s.id}@${s.version}`;
    const before = out.get(key);
    out.set(key, before === undefined ? s : { ...combine(before, s), calls: before.calls + s.calls });
  }
  return out;
}

/**
 * `m` as the table shows it: a replicated module's instance carries its replicas' resources
 * together and their restarts added up; `m` itself otherwise.
 */
export function wholeModule(m: ModuleView): ModuleView {
  if (m.instance === null || m.replicas.length < 2) return m;
  const sampled = m.replicas.map((r) => r.resources).filter((r): r is ResourceSample => r !== null);
  const first = sampled[0];
  const instance: LiveInstance = {
    ...m.instance,
    restarts: m.replicas.reduce((sum, r) => sum + r.restarts, 0),
    resources: first === undefined ? null : sampled.slice(1).reduce((a, b) => combine(a, b), first),
  };
  return { ...m, instance };
}
