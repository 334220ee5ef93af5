import type { Candidate } from "../../src/vocabulary/dispatch.js";

/** A dispatch candidate `key` (module "m", weight 1, maxConcurrent 16, idle, healthy), overridden by `fields`. */
export function candidate(key: string, fields: Partial<Candidate> = {}): Candidate {
  const weight = fields.weight ?? 1;
  return {
    key,
    module: "m",
    engineType: undefined,
    capabilities: [],
    labels: {},
    weight,
    maxConcurrent: 16,
    effectiveWeight: weight,
    inflight: 0,
    meanMs: undefined,
    health: "healthy",
    ...fields,
  };
}

/** Candidates `m@1.0.0#0` ... `m@1.0.0#(n-1)`. */
export function replicas(n: number, fields: Partial<Candidate> = {}): Candidate[] {
  return Array.from({ length: n }, (_, i) => candidate(`m@1.0.0#${i}`, fields));
}

/** A random source that answers `values` in turn, then starts over. */
export function scripted(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

/** A seeded uniform source (mulberry32), so a run is the same every time. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many times each key was picked in `n` picks of `pick`. */
export function tally(n: number, pick: () => Candidate | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const key = pick()?.key ?? "none";
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
