import type { ResourceSample } from "../vocabulary/resources.js";

/** `a + b` where either may be unknown (null): the known one, or null when neither is. */
const sumOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : a + b;

const maxOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);

/**
 * `samples` with the replicas of each module version in each round (same `id`, `version` and
 * `at`) made one sample of the version: CPU, memory (heap, RSS), disk and network rates, calls,
 * failures and totals added up over the replicas; p99, ELU and the interval the highest of
 * them. Samples of a module that is not replicated are kept as they are; the order is that of
 * each version's first sample in `samples`.
 */
export function versionTotals(samples: readonly ResourceSample[]): ResourceSample[] {
  const byRound = new Map<string, ResourceSample>();
  for (const s of samples) {
    const key = `${s.id}@${s.version}@${s.at}`;
    const t = byRound.get(key);
    if (t === undefined) {
      const { replica: _replica, ...alone } = s;
      byRound.set(key, alone);
      continue;
    }
    byRound.set(key, {
      ...t,
      intervalMs: Math.max(t.intervalMs, s.intervalMs),
      cpuPercent: sumOf(t.cpuPercent, s.cpuPercent),
      elu: maxOf(t.elu, s.elu),
      memoryBytes: sumOf(t.memoryBytes, s.memoryBytes),
      heapUsedBytes: sumOf(t.heapUsedBytes, s.heapUsedBytes),
      rssBytes: sumOf(t.rssBytes, s.rssBytes),
      fsReadBps: t.fsReadBps + s.fsReadBps,
      fsWriteBps: t.fsWriteBps + s.fsWriteBps,
      netInBps: t.netInBps + s.netInBps,
      netOutBps: t.netOutBps + s.netOutBps,
      calls: sumOf(t.calls, s.calls),
      failures: sumOf(t.failures, s.failures),
      p99Ms: maxOf(t.p99Ms, s.p99Ms),
      totals: {
        cpuSeconds: t.totals.cpuSeconds + s.totals.cpuSeconds,
        fsReadBytes: t.totals.fsReadBytes + s.totals.fsReadBytes,
        fsWriteBytes: t.totals.fsWriteBytes + s.totals.fsWriteBytes,
        netInBytes: t.totals.netInBytes + s.totals.netInBytes,
        netOutBytes: t.totals.netOutBytes + s.totals.netOutBytes,
      },
    });
  }
  return [...byRound.values()];
}
