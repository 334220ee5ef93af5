import type { Clock } from "../common/Clock.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import { Autoscaler } from "../scaling/Autoscaler.js";
import type { AutoscaleMetric } from "../vocabulary/dispatch.js";
import { sampleKey, type ResourceSample } from "../vocabulary/resources.js";
import type { Replicas, ScaleResult } from "./Replicas.js";

/** What autoscaling needs from the runtime. */
export interface AutoscalingDeps {
  clock: Clock;
  instances: InstanceReader;
  replicas: Replicas;
  /** The CPUs this host may use: `replicas.max` when a manifest does not set it. */
  defaultMax: number;
  onError(context: string, error: unknown): void;
}

/**
 * Drives the replica count of every module with `replicas.autoscale` (see docs/dispatch.md,
 * "Autoscaling"): after each sampling round, each running module's {@link Autoscaler} reads one
 * figure per ready replica (calls in flight, CPU %, event-loop utilisation, or calls queued at its
 * gate) and, when it recommends another count, the replicas are made or drained to it, with the
 * recommendation's reason in `replicas.scaled`. A scale an operator asks for counts for the
 * cooldowns. Nothing runs while sampling is off (`resources.sampleMs` 0).
 */
export class Autoscaling {
  /** By `id@version` (the first replica's key). */
  private readonly scalers = new Map<string, Autoscaler>();
  /** Modules scaling now: one change at a time each. */
  private readonly busy = new Set<string>();

  constructor(private readonly deps: AutoscalingDeps) {
    deps.replicas.manualScale.subscribe((change) => this.manual(change));
  }

  /** A sampling round ended: every autoscaled module that runs is looked at once. */
  sampled(samples: readonly ResourceSample[]): void {
    const byKey = new Map(samples.map((s) => [sampleKey(s), s]));
    const seen = new Set<string>();
    for (const first of this.deps.instances.all()) {
      if (first.replica !== 0 || first.group === undefined) continue;
      const settings = first.manifest.replicas?.autoscale;
      if (settings === undefined || first.state === "stopped" || first.state === "registered") continue;
      // Paused, or down after a crash: kept (its history and cooldowns), but not scaled now.
      seen.add(first.key);
      if (first.state !== "running" || this.busy.has(first.key)) continue;
      const scaler = this.scalerOf(first);
      const current = this.deps.replicas.desiredOf(first);
      const readings = first.group
        .list()
        .filter((r) => r.takesCalls && this.deps.replicas.inRotation(r))
        .map((r) => reading(settings.metric, r, byKey.get(r.key)));
      const decision = scaler.recommend(current, readings.slice(0, current));
      if (decision.desired === current) continue;
      this.busy.add(first.key);
      scaler.record({ from: current, to: decision.desired });
      void this.deps.replicas
        .apply(first.record, first, decision.desired, decision.reason)
        .catch((err: unknown) => this.deps.onError(`autoscaling ${first.key}`, err))
        .finally(() => this.busy.delete(first.key));
    }
    // A module stopped or unloaded starts its next run with a fresh history (as a new HPA object would).
    for (const key of this.scalers.keys()) if (!seen.has(key)) this.scalers.delete(key);
  }

  private scalerOf(first: Instance): Autoscaler {
    let scaler = this.scalers.get(first.key);
    if (scaler === undefined) {
      const replicas = first.manifest.replicas!;
      const min = replicas.min ?? 1;
      scaler = new Autoscaler({
        min,
        max: replicas.max ?? Math.max(min, this.deps.defaultMax),
        settings: replicas.autoscale!,
        clock: this.deps.clock,
        module: first.key,
      });
      this.scalers.set(first.key, scaler);
    }
    return scaler;
  }

  private manual(change: ScaleResult): void {
    this.scalers
      .get(`${change.id}@${change.version}`)
      ?.record({ from: change.from, to: change.to, source: "manual" });
  }
}

/** One replica's figure for `metric`; undefined when it has none yet (its first sample is still to come). */
function reading(
  metric: AutoscaleMetric,
  replica: Instance,
  sample: ResourceSample | undefined,
): number | undefined {
  switch (metric) {
    case "inflight":
      return replica.gate.inFlight;
    case "queue":
      return replica.gate.waiting;
    case "cpu":
      return sample?.cpuPercent ?? undefined;
    case "elu":
      return sample?.elu ?? undefined;
  }
}
