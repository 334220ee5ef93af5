import type { Logger } from "pino";
import type { Clock } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";
import type { Emitter } from "../common/Emitter.js";
import type { ChipsetError } from "../errors/ChipsetError.js";
import { AnomalyDetector, type AnomalySettings } from "../monitoring/AnomalyDetector.js";
import { ErrorMonitor, type ErrorCounts, type ErrorEntry } from "../monitoring/ErrorMonitor.js";
import { ErrorStore } from "../monitoring/ErrorStore.js";
import type { CallRun } from "../policies/CallRun.js";
import type { Database } from "../store/Database.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import type { CallObserver } from "./CallObserver.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";

/** Anomaly detection settings (`createRuntime({ anomalies })`); `false` turns it off. */
export type AnomalyOptions = Partial<AnomalySettings> & {
  /** How often the heap of worker and process modules is read for the memory trend, in ms. Default 1 000. */
  memorySampleMs?: number;
};

/** The error monitor's query side (`runtime.errors`). */
export interface ErrorQueries {
  /** Recent errors, newest first (default 50), optionally of one module id. */
  recent(filter?: { id?: string; limit?: number }): ErrorEntry[];
  /** All-time counts by code and by module (errors with no module count under `(runtime)`). */
  counts(filter?: { id?: string }): ErrorCounts;
}

/**
 * What the runtime watches: every error it raises or passes on goes to the error monitor
 * (persisted, so `chipset errors` sees them from another process), and every attempt's latency
 * and outcome to the anomaly baselines, with the heap of isolated modules sampled for a leak.
 */
export class Monitoring implements CallObserver {
  readonly errors: ErrorMonitor;
  readonly anomalies: AnomalyDetector | undefined;
  private readonly subscriptions: Disposable[] = [];
  private sampler: Disposable | undefined;

  constructor(
    private readonly deps: {
      clock: Clock;
      logger: Logger;
      db: Database;
      events: Emitter<RuntimeEvents>;
      instances: InstanceReader;
      anomalies: AnomalyOptions | false;
    },
  ) {
    const { clock, events } = deps;
    this.errors = new ErrorMonitor({
      clock,
      store: new ErrorStore(deps.db),
      onError: (err) => deps.logger.warn({ err }, `the error monitor could not save errors: ${err.message}`),
    });
    this.errors.start();
    const record = (error: unknown, id?: string, version?: string): void =>
      this.errors.record(error, id === undefined ? undefined : { id, version });
    this.subscriptions.push(
      events.on("module.failed", (e) => record(e.error, e.id, e.version)),
      events.on("module.crashed", (e) => record(e.error, e.id, e.version)),
      events.on("hook.failed", (e) => record(e.error, e.id, e.version)),
      events.on("module.rejected", (e) => record(e.error)),
      events.on("runtime.error", (e) => record(e.error)),
    );
    if (deps.anomalies === false) return;
    const { memorySampleMs = 1_000, ...settings } = deps.anomalies;
    const detector = new AnomalyDetector({ clock, emit: (e) => events.emit("module.anomaly", e), settings });
    this.anomalies = detector;
    // The heap is sampled only while an isolated module runs: an idle or inline-only runtime has no timer.
    this.subscriptions.push(
      // Baselines outlive unloads and restarts (the same version behaves the same; the call path
      // keeps its series): only a version leaving the registry is forgotten.
      events.on("module.removed", (e) => detector.forget(e.id, e.version)),
      events.on("module.started", (e) => {
        if (e.host.isolation !== "inline" && this.sampler === undefined) this.sampleMemory(memorySampleMs);
      }),
    );
  }

  /** A call settled (see {@link CallObserver}): its error, if any, is recorded with the call's context. */
  settled(_run: CallRun, error: ChipsetError | undefined): void {
    if (error !== undefined) this.errors.record(error);
  }

  /**
   * An attempt ran (see {@link CallObserver}): its latency and outcome feed the method's baseline. Failures that
   * are not the module's doing (refused, cancelled, the module down) say nothing about its health,
   * nor does the time of a success that first waited for the module to load, start or resume.
   */
  attempted(run: CallRun, durationMs: number, error: ChipsetError | undefined): void {
    const site = run.site;
    if (this.anomalies === undefined || site === undefined) return;
    let ok = true;
    if (error !== undefined) {
      const c = error.category;
      if (c !== "module" && c !== "internal" && c !== "timeout" && c !== "crash") return;
      ok = false;
    }
    // An attempt begun before its instance last started or resumed waited for that: its time says
    // how long loading, starting or a pause took, not how fast the method answers.
    const startedAt = site.startedAt;
    if (ok && startedAt !== undefined && startedAt > run.startedAt) return;
    const plan = run.plan;
    (plan.series ??= this.anomalies.series(plan.id, site.version, plan.method)).observe(durationMs, ok);
  }

  /** Stops sampling and listening, and saves the errors not yet written (before the database closes). */
  close(): void {
    this.sampler?.dispose();
    this.sampler = undefined;
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.errors.close();
  }

  private sampleMemory(everyMs: number): void {
    this.sampler = this.deps.clock.setTimeout(
      () => {
        this.sampler = undefined;
        let isolated = false;
        for (const inst of this.deps.instances.all()) {
          if (inst.isolation === "inline" || (inst.state !== "running" && inst.state !== "paused")) continue;
          isolated = true;
          const memory = inst.host.memory();
          if (memory !== undefined) this.anomalies?.observeMemory(inst.id, inst.version, memory.heapUsed);
        }
        if (isolated) this.sampleMemory(everyMs);
      },
      everyMs,
      { background: true },
    );
  }
}
