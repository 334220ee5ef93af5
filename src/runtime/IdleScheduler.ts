import type { Clock } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";
import type { Registry } from "../registry/Registry.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import type { ResolvedOptions } from "./RuntimeOptions.js";
import { stateIsActive } from "../vocabulary/lifecycle.js";

/** How often idle work runs, in ms. */
const SWEEP_MS = 1000;

/** What the scheduler needs from the runtime. */
export interface IdleDeps {
  clock: Clock;
  options: ResolvedOptions;
  registry: Registry;
  instances: InstanceReader;
  /** True for modules registered in code (not persisted, so not preloaded from statistics). */
  isCode(id: string): boolean;
  /** True for modules that start with the runtime (never unloaded for idleness). */
  isEager(inst: Instance): boolean;
  preload(id: string): Promise<void>;
  unloadIdle(inst: Instance): Promise<void>;
  onError(context: string, error: unknown): void;
}

/**
 * Idle-time work: counts calls in memory and persists them every sweep, preloads (imports
 * without init) the most used modules after start-up, and unloads lazy modules that have
 * been idle longer than their timeout and have no active dependents.
 */
export class IdleScheduler {
  private readonly counts = new Map<string, number>();
  private timer: Disposable | undefined;
  private preloadTimer: Disposable | undefined;
  private stopped = false;

  constructor(private readonly deps: IdleDeps) {}

  /** Counts one call of `id` (persisted at the next sweep). */
  count(id: string): void {
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
  }

  /** Schedules preloading and the periodic sweep. */
  start(): void {
    const { options, clock } = this.deps;
    if (options.preload > 0)
      this.preloadTimer = clock.setTimeout(() => void this.preload(), options.preloadDelayMs, {
        background: true,
      });
    this.schedule();
  }

  /** Stops every timer (shutdown). */
  stop(): void {
    this.stopped = true;
    this.timer?.dispose();
    this.preloadTimer?.dispose();
  }

  /** Writes the call counts gathered since the last flush. */
  flush(): void {
    if (this.counts.size === 0) return;
    const entries = [...this.counts];
    this.counts.clear();
    try {
      for (const [id, n] of entries) this.deps.registry.recordUsage(id, n);
    } catch (err) {
      this.deps.onError("saving usage statistics", err);
    }
  }

  /** One sweep: flush counts, unload what has been idle too long. Exposed for tests. */
  async sweep(): Promise<void> {
    this.flush();
    const now = this.deps.clock.now();
    const active = [...this.deps.instances.all()];
    for (const inst of active) {
      const limit = inst.idleUnloadMs(this.defaultIdleMs(inst));
      if (limit <= 0 || this.deps.isEager(inst)) continue;
      if (!(
        inst.state === "running" ||
        inst.state === "loaded" ||
        inst.state === "initialized" ||
        inst.state === "stopped"
      ))
        continue;
      if (inst.gate.inFlight > 0 || now - inst.lastUsedAt < limit) continue;
      const needed = active.some(
        (o) =>
          o !== inst &&
          o.state !== "registered" &&
          o.deps.some((d) => d.key === inst.key) &&
          stateIsActive(o.state),
      );
      if (needed) continue;
      try {
        await this.deps.unloadIdle(inst);
      } catch (err) {
        this.deps.onError(`idle unload of ${inst.key}`, err);
      }
    }
  }

  /**
   * The idle time before `inst` is unloaded when neither its manifest nor its kind sets one: a
   * module with triggers scales to zero (`triggers.idleUnloadMs`, and its next trigger loads it
   * again); others follow the runtime's `idleUnloadMs`.
   */
  private defaultIdleMs(inst: Instance): number {
    const { options } = this.deps;
    return (inst.manifest.triggers?.length ?? 0) > 0 ? options.triggers.idleUnloadMs : options.idleUnloadMs;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimeout(
      () => {
        void this.sweep().finally(() => this.schedule());
      },
      SWEEP_MS,
      { background: true },
    );
  }

  private async preload(): Promise<void> {
    const { registry, instances, options } = this.deps;
    let candidates;
    try {
      candidates = registry
        .usage()
        .filter(
          (u) =>
            !this.deps.isCode(u.id) &&
            registry.has(u.id) &&
            (instances.current(u.id)?.state ?? "registered") === "registered",
        )
        .slice(0, options.preload);
    } catch (err) {
      return this.deps.onError("choosing modules to preload", err);
    }
    for (const { id } of candidates) {
      if (this.stopped) return;
      try {
        await this.deps.preload(id);
      } catch (err) {
        this.deps.onError(`preload of ${id}`, err);
      }
    }
  }
}
