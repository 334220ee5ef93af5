import type { Isolation } from "../vocabulary/manifest.js";

/** Which calls or instances a fault applies to; every field given must match (absent: any). */
export interface FaultTarget {
  /** Module id. */
  module?: string;
  /** Exact version, or a semver range such as `^2.0.0`. */
  version?: string;
  /** Api method (call faults only). */
  method?: string;
  /** Where the module runs. */
  host?: Isolation;
}

/**
 * An added delay in ms: a fixed number, or drawn from a distribution (uniform between two
 * bounds, normal with a mean and standard deviation, or exponential with a mean). Negative
 * draws count as 0.
 */
export type Latency =
  | number
  | { uniform: { minMs: number; maxMs: number } }
  | { normal: { meanMs: number; sdMs: number } }
  | { exponential: { meanMs: number } };

/** The lifecycle hooks a fault can slow down or fail. */
export type FaultHook = "load" | "init" | "start" | "pause" | "resume" | "stop";

/** What a fault does. */
export type FaultKind =
  /** Calls are delayed by `latencyMs`, then reach the module. */
  | { kind: "latency"; latencyMs: Latency }
  /** Calls fail as if the method threw `message`. */
  | { kind: "error"; message?: string }
  /** Calls never answer (only a timeout or the caller's signal ends them). */
  | { kind: "hang" }
  /** The module's host crashes as a call arrives (use `percent` to make it rare). */
  | { kind: "crash" }
  /** The module's heap grows by `mbPerSecond` while the fault is in place (inline: this process's heap). */
  | { kind: "leak"; mbPerSecond: number }
  /** The `hook` of matching modules waits `latencyMs` first (its phase timeout still applies). */
  | { kind: "slow-hook"; hook: FaultHook; latencyMs: Latency }
  /** The `hook` of matching modules fails with `message`. */
  | { kind: "failing-hook"; hook: FaultHook; message?: string };

/** A fault to inject: what, where, and for what share of calls (or hook runs). */
export type Fault = FaultKind & {
  /** A name for reports; default `<kind> <module>.<method>`. */
  name?: string;
  target?: FaultTarget;
  /** Percentage of matching calls (or hook runs) affected, 0 to 100. Default 100. */
  percent?: number;
};

/** Draws one delay in ms from `latency` with `random` (uniform in [0, 1)). */
export function sampleLatency(latency: Latency, random: () => number): number {
  if (typeof latency === "number") return Math.max(0, latency);
  if ("uniform" in latency) {
    const { minMs, maxMs } = latency.uniform;
    return Math.max(0, minMs + (maxMs - minMs) * random());
  }
  if ("normal" in latency) {
    // Box-Muller: two uniforms make one standard normal draw.
    const u = 1 - random();
    const v = random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.max(0, latency.normal.meanMs + latency.normal.sdMs * z);
  }
  return -latency.exponential.meanMs * Math.log(1 - random());
}

/** The name a fault has in reports. */
export function faultName(fault: Fault): string {
  if (fault.name !== undefined) return fault.name;
  const t = fault.target ?? {};
  const where = `${t.module ?? "*"}${t.method === undefined ? "" : `.${t.method}`}`;
  const hook = fault.kind === "slow-hook" || fault.kind === "failing-hook" ? ` ${fault.hook}` : "";
  return `${fault.kind}${hook} ${where}`;
}

/**
 * A seeded generator of [0, 1) numbers (mulberry32): the same seed gives the same faults in
 * the same order, so a chaos run can be repeated exactly.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
