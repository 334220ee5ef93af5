import type { ProbeManifest, ProbesManifest } from "../vocabulary/manifest.js";

/** The three probes, in the order they are told apart in events and queries. */
export type ProbeName = "liveness" | "readiness" | "startup";

/** What a probe checks: an api method called with no arguments, or the module's `health()`. */
export type ProbeCheck = { method: string } | { health: true };

/** One probe with every default applied (all durations in ms). */
export interface ProbeSettings {
  check: ProbeCheck;
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
}

/** Kubernetes' defaults: first probe at once, every 10 s, 1 s to answer, 3 failures fail it, 1 pass passes it. */
export const probeDefaults: Omit<ProbeSettings, "check"> = {
  initialDelayMs: 0,
  periodMs: 10_000,
  timeoutMs: 1_000,
  failureThreshold: 3,
  successThreshold: 1,
};

/** A manifest's probe over {@link probeDefaults} (the manifest was validated: it names one check). */
export function probeSettings(probe: ProbeManifest): ProbeSettings {
  const check: ProbeCheck = probe.method !== undefined ? { method: probe.method } : { health: true };
  return {
    check,
    initialDelayMs: probe.initialDelayMs ?? probeDefaults.initialDelayMs,
    periodMs: probe.periodMs ?? probeDefaults.periodMs,
    timeoutMs: probe.timeoutMs ?? probeDefaults.timeoutMs,
    failureThreshold: probe.failureThreshold ?? probeDefaults.failureThreshold,
    successThreshold: probe.successThreshold ?? probeDefaults.successThreshold,
  };
}

/** True when `probes` configures at least one probe (else nothing runs for the module). */
export function hasProbes(probes: ProbesManifest | undefined): probes is ProbesManifest {
  return (
    probes !== undefined &&
    (probes.liveness !== undefined || probes.readiness !== undefined || probes.startup !== undefined)
  );
}
