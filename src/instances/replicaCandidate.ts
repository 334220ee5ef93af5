import type { Candidate } from "../vocabulary/dispatch.js";
import type { ChipsetManifest } from "../vocabulary/manifest.js";

/** Calls at once an engine is sized for when its manifest does not say (`engine.performance.maxConcurrent`). */
export const DEFAULT_MAX_CONCURRENT = 16;

/** What the dispatcher sees of the instance at `key` of module `id` before its first call: its manifest's engine facts, no load, health unknown. */
export function replicaCandidate(key: string, id: string, manifest: ChipsetManifest): Candidate {
  const engine = manifest.engine;
  const weight = engine?.performance?.weight ?? 1;
  return {
    key,
    module: id,
    engineType: engine?.type,
    capabilities: engine?.capabilities ?? manifest.provides ?? [],
    labels: engine?.labels ?? {},
    weight,
    maxConcurrent: engine?.performance?.maxConcurrent ?? DEFAULT_MAX_CONCURRENT,
    effectiveWeight: weight,
    inflight: 0,
    meanMs: undefined,
    health: "unknown",
  };
}
