import type { Clock } from "../common/Clock.js";
import type { Emitter } from "../common/Emitter.js";
import { race } from "../common/race.js";
import type { HostPool } from "../hosts/HostPool.js";
import type { InlineCrashTrap } from "../hosts/InlineCrashTrap.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import type { LifecycleRunner } from "../lifecycle/LifecycleRunner.js";
import type { DesiredRuns } from "../registry/DesiredRuns.js";
import type { Database } from "../store/Database.js";
import type { Supervisor } from "../supervision/Supervisor.js";
import { throwFirstFailure, type Activator, type ModuleOutcome } from "./Activator.js";
import type { Catalog } from "./Catalog.js";
import type { IdleScheduler } from "./IdleScheduler.js";
import type { ModuleCalls } from "./ModuleCalls.js";
import type { ModuleControl } from "./ModuleControl.js";
import type { Monitoring } from "./Monitoring.js";
import type { Resources } from "./Resources.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import type { RuntimeState } from "./RuntimeState.js";
import { shutdownInstances, type ShutdownReport } from "./shutdown.js";

/** What starting and closing the runtime touches. */
export interface RuntimeLifecycleDeps {
  clock: Clock;
  /** Deadline for `close()` to stop every module, in ms. */
  shutdownTimeoutMs: number;
  state: RuntimeState;
  events: Emitter<RuntimeEvents>;
  catalog: Catalog;
  instances: InstanceReader;
  runner: LifecycleRunner<Instance>;
  activator: Activator;
  control: ModuleControl;
  supervisor: Supervisor<Instance>;
  calls: ModuleCalls;
  idle: IdleScheduler;
  /** The cron triggers: they fire from start to close. */
  triggers: { start(): void; stop(): void };
  pool: HostPool;
  trap: InlineCrashTrap | undefined;
  monitoring: Monitoring;
  /** Resource sampling: from start to close. */
  resources: Resources;
  db: Database;
  /** What operators asked of modules: brought back at start. */
  desired: Pick<DesiredRuns, "all">;
  /** Forgets this process's leases on module versions (see `LeaseTable`). */
  releaseLeases(): void;
}

/**
 * The runtime's own start and close. Start brings the eager modules up level by level and then
 * begins idle work; close stops every module in reverse dependency order within the shutdown
 * deadline, ends every worker and child process, saves usage statistics and errors, and closes
 * the store. Both are idempotent (later calls share the first).
 */
export class RuntimeLifecycle {
  private starting: Promise<ModuleOutcome[]> | undefined;
  private closing: Promise<ShutdownReport> | undefined;

  constructor(private readonly deps: RuntimeLifecycleDeps) {}

  /** Starts the runtime (see `Runtime.start`). */
  start(signal?: AbortSignal): Promise<ModuleOutcome[]> {
    this.deps.state.assertOpen();
    this.starting ??= this.startOnce(signal);
    return this.starting;
  }

  /** Closes the runtime (see `Runtime.close`). */
  close(): Promise<ShutdownReport> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async startOnce(signal: AbortSignal | undefined): Promise<ModuleOutcome[]> {
    const { clock, state, events } = this.deps;
    const started = clock.now();
    this.warmPools();
    const { control } = this.deps;
    // What operators asked through the host before it stopped (pm2's resurrect, without a save).
    const desired = new Map(this.deps.desired.all().map((d) => [d.id, d.state]));
    const eager = control
      .idsWhere((activation) => activation === "eager")
      .filter((id) => desired.get(id) !== "stopped");
    const outcomes = await control.startAll(eager, signal);
    throwFirstFailure(outcomes);
    // Started by an operator and still installed; one that fails is reported by its events, as a
    // lazy module failing on first use would be, and the host serves the others.
    const installed = new Set(control.idsWhere(() => true));
    const wanted = [...desired]
      .filter(([id, want]) => want === "running" && installed.has(id) && !eager.includes(id))
      .map(([id]) => id);
    const brought = await Promise.all(
      wanted.map((id) =>
        control.startAll([id], signal).catch((error: unknown): ModuleOutcome[] => {
          // Its plan failed (a dependency removed since): the others still come back.
          events.emit("runtime.error", { context: `bringing back ${id}, which an operator started`, error });
          return [];
        }),
      ),
    );
    outcomes.push(...brought.flat());
    if (state.phase !== "created") return outcomes; // closed while starting: stay closed
    state.phase = "started";
    this.deps.idle.start();
    this.deps.triggers.start();
    this.deps.resources.start();
    events.emit("runtime.started", { durationMs: clock.now() - started, eager });
    return outcomes;
  }

  private async shutdown(): Promise<ShutdownReport> {
    const { clock, state, calls, idle, supervisor, instances } = this.deps;
    state.phase = "closing";
    this.deps.triggers.stop();
    this.deps.resources.stop();
    calls.close();
    idle.stop();
    supervisor.close();
    const started = clock.now();
    let report: ShutdownReport;
    try {
      // Activations in flight finish their current level first (no new level starts once closing),
      // so nothing reaches `running` after it was stopped. They share the shutdown deadline.
      const ms = this.deps.shutdownTimeoutMs;
      await race(this.deps.activator.settled(), { clock, ms, onTimeout: () => undefined });
      report = await shutdownInstances([...instances.all()], {
        runner: this.deps.runner,
        clock,
        deadlineMs: Math.max(0, ms - (clock.now() - started)),
        isDown: (key) => supervisor.isDown(key),
      });
      // Isolated hosts end with the runtime, whatever their state (one may still be loading):
      // no worker thread or child process outlives it.
      for (const inst of instances.all()) if (inst.host.isolation !== "inline") inst.host.unload();
      await this.deps.pool.close();
    } finally {
      this.deps.trap?.dispose();
      calls.dispose();
      idle.flush();
      this.deps.monitoring.close();
      this.deps.resources.dispose();
      state.phase = "closed";
      try {
        this.deps.releaseLeases();
      } catch {
        // Stale leases are ignored by others once this process is gone.
      }
      this.deps.db.close();
    }
    this.deps.events.emit("runtime.stopped", {
      durationMs: clock.now() - started,
      stopped: report.stopped,
      failed: report.failed,
      down: report.down,
    });
    return report;
  }

  /** Starts blank hosts for the isolations registered modules ask for (in the background). */
  private warmPools(): void {
    for (const { manifest } of this.deps.catalog.records()) {
      const { isolation, limits, permissions } = manifest;
      if (isolation === "worker" || isolation === "process")
        this.deps.pool.warmFor({ isolation, memoryMb: limits?.memoryMb, permissions });
    }
  }
}
