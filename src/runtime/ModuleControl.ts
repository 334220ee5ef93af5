import type { Clock } from "../common/Clock.js";
import { race } from "../common/race.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceFactory } from "../instances/InstanceFactory.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import type { LifecycleRunner } from "../lifecycle/LifecycleRunner.js";
import type { ModuleHealth } from "../module.js";
import type { DesiredRuns } from "../registry/DesiredRuns.js";
import type { Supervisor } from "../supervision/Supervisor.js";
import type { Activation } from "../vocabulary/manifest.js";
import { parseModuleRef } from "../vocabulary/moduleRef.js";
import { requestOf, type Activator, type ModuleOutcome } from "./Activator.js";
import type { Catalog } from "./Catalog.js";
import { stopDependents } from "./dependents.js";
import type { UnloadReason } from "./RuntimeEvents.js";
import type { TransitionEvents } from "./TransitionEvents.js";

/** Options of the control methods. */
export interface ControlOptions {
  signal?: AbortSignal;
  /** For stop/unload: also stop running dependents first (reverse order). Default false. */
  cascade?: boolean;
  /**
   * For start/stop/unload: an operator's request (the host's API sets it). Once it succeeded,
   * the data directory records that the module (and the dependents a cascade stopped) should
   * run or stay stopped, and a host started on it later brings that back. Default false.
   */
  persist?: boolean;
}

/** What controlling modules needs. */
export interface ModuleControlDeps {
  clock: Clock;
  /** The runtime's default hook timeout (what `health()` gets), in ms. */
  hookTimeoutMs: number;
  catalog: Catalog;
  instances: InstanceReader;
  factory: InstanceFactory;
  runner: LifecycleRunner<Instance>;
  activator: Activator;
  supervisor: Supervisor<Instance>;
  transitions: TransitionEvents;
  /** The activation of a manifest (its own, else its kind's default, else lazy). */
  activationOf(manifest: Instance["manifest"]): Activation;
  /** Throws `CHIP_ERR_RUNTIME_CLOSED` once the runtime is closing. */
  assertOpen(): void;
  /** Reports what failed with no caller to tell (a preload). */
  onError(context: string, error: unknown): void;
  /** Records what an operator wants of modules (see `DesiredRuns`). */
  desired: Pick<DesiredRuns, "set">;
}

/** What `health` gets when the module's `health()` did not answer in time. */
const timedOut: unique symbol = Symbol("timed out");

/**
 * The runtime's commands on modules: bring one (and its dependencies) to a state, pause,
 * resume, stop and unload (with their dependents when asked), start the modules an event
 * activates, preload in idle time, and ask a module how it is.
 */
export class ModuleControl {
  constructor(private readonly deps: ModuleControlDeps) {}

  /** Brings `ref` (and its dependencies) to `target`; rejects with the module's own error or `CHIP_ERR_DEPENDENCY_FAILED`. */
  async ensure(ref: string, target: "loaded" | "running", signal?: AbortSignal): Promise<Instance> {
    const { activator } = this.deps;
    const plan = activator.plan([requestOf(ref)]);
    const root = plan.roots[0]!;
    const outcomes = await activator.bringUp(plan, target, signal);
    const mine = outcomes.find((o) => o.id === root.id && o.version === root.version)!;
    if (!mine.ok) throw mine.error!;
    return root;
  }

  /** Brings `ref` and its dependencies to `running` (see {@link ensure}); with `persist`, records that it should run. */
  async start(ref: string, options: ControlOptions = {}): Promise<void> {
    const inst = await this.ensure(ref, "running", options.signal);
    if (options.persist === true) this.deps.desired.set([inst.id], "running");
  }

  /** Loads if needed and runs `init` (lazy init made explicit). */
  async init(ref: string, options: ControlOptions = {}): Promise<void> {
    const inst = await this.ensure(ref, "loaded", options.signal);
    await this.deps.runner.advance(inst, "initialized", options.signal);
  }

  /** Pauses a running module: new calls wait (bounded) while in-flight calls finish. */
  pause(ref: string, options: ControlOptions = {}): Promise<void> {
    return this.deps.runner.run(this.instanceOf(ref), "pause", options.signal);
  }

  /** Resumes a paused module and releases the calls that waited. */
  resume(ref: string, options: ControlOptions = {}): Promise<void> {
    return this.deps.runner.run(this.instanceOf(ref), "resume", options.signal);
  }

  /** Stops a module; refused while dependents run unless `cascade` (then they stop first). */
  async stop(ref: string, options: ControlOptions = {}): Promise<void> {
    const inst = this.instanceOf(ref);
    const dependents = await stopDependents(this.deps.instances, this.deps.runner, inst, options);
    // Stopped on request: no restart (also of one in progress), no fallback any more.
    this.deps.supervisor.released(inst.key);
    // A crashed module has no code running to stop: stopping it means not restarting it, and unloading.
    if (inst.state === "crashed") await this.unloadInstance(inst, "request", options.signal);
    else await this.deps.runner.run(inst, "stop", options.signal);
    if (options.persist === true) this.keepStopped([inst, ...dependents]);
  }

  /** Unloads a module (stopping it first if needed); refused while dependents run unless `cascade`. */
  async unload(ref: string, options: ControlOptions = {}): Promise<void> {
    const inst = this.instanceOf(ref);
    const dependents = await stopDependents(this.deps.instances, this.deps.runner, inst, options);
    this.deps.supervisor.released(inst.key);
    await this.unloadInstance(inst, "request", options.signal);
    if (options.persist === true) this.keepStopped([inst, ...dependents]);
  }

  /** Records that `stopped` should stay stopped: a dependent a cascade stopped would otherwise bring its dependency back. */
  private keepStopped(stopped: readonly Instance[]): void {
    this.deps.desired.set([...new Set(stopped.map((i) => i.id))], "stopped");
  }

  /** Starts every module whose `activation.onEvent` lists `event`; resolves with their outcomes. */
  activate(event: string, options: ControlOptions = {}): Promise<ModuleOutcome[]> {
    this.deps.assertOpen();
    const ids = this.idsWhere((a) => typeof a === "object" && a.onEvent.includes(event));
    return this.startAll(ids, options.signal);
  }

  /** The ids whose activation passes `test`, judged on their highest version. */
  idsWhere(test: (activation: Activation) => boolean): string[] {
    return this.deps.catalog.idsWhere((manifest) => test(this.deps.activationOf(manifest)));
  }

  /** Brings `ids` and their dependencies to `running`, level by level; resolves with every outcome. */
  async startAll(ids: readonly string[], signal?: AbortSignal): Promise<ModuleOutcome[]> {
    if (ids.length === 0) return [];
    const { activator } = this.deps;
    return activator.bringUp(activator.plan(ids.map((id) => ({ id }))), "running", signal);
  }

  /** Unloads `inst` (stopping it first if it runs), reporting `reason` in `module.unloaded`. */
  async unloadInstance(inst: Instance, reason: UnloadReason, signal?: AbortSignal): Promise<void> {
    const { runner } = this.deps;
    // A load may be in flight (a restart, an activation): unload what it brings in.
    if (runner.isBusy(inst)) await runner.idle(inst);
    if (inst.state === "registered") return;
    if (inst.state === "running" || inst.state === "paused" || inst.state === "initialized")
      await runner.run(inst, "stop", signal);
    this.deps.transitions.unloadReason(inst, reason);
    await runner.run(inst, "unload", signal);
  }

  /** Loads `id` and its dependencies ahead of use (imports, no init); failures are reported, not thrown. */
  async preload(id: string): Promise<void> {
    const { activator, transitions } = this.deps;
    const plan = activator.plan([{ id }]);
    for (const level of plan.levels)
      for (const inst of level) if (inst.state === "registered") transitions.preloadingOf(inst);
    const outcomes = await activator.bringUp(plan, "loaded");
    for (const o of outcomes) if (!o.ok) this.deps.onError(`preload of ${o.id}`, o.error);
  }

  /**
   * The module's own health (its `health()`, within `hookTimeoutMs`), or `{ ok: false }` with
   * the reason when it is not running. A module without `health()` is healthy while it runs.
   */
  async health(ref: string): Promise<ModuleHealth> {
    const { id, version } = parseModuleRef(ref);
    const inst = this.deps.instances.answering(id, version);
    if (inst === undefined || inst.state !== "running")
      return { ok: false, detail: inst === undefined ? "not loaded" : `${inst.state}` };
    if (!inst.host.hasFunction("health")) return { ok: true };
    const ms = this.deps.hookTimeoutMs;
    try {
      const answer = Promise.resolve(inst.host.callFunction("health", [])) as Promise<
        ModuleHealth | undefined | typeof timedOut
      >;
      const health = await race(answer, {
        clock: this.deps.clock,
        ms,
        onTimeout: (): typeof timedOut => timedOut,
      });
      if (health === timedOut) return { ok: false, detail: `health() did not answer within ${ms} ms` };
      if (typeof health?.ok !== "boolean")
        return {
          ok: false,
          detail: `health() answered ${JSON.stringify(health) ?? "nothing"}, not { ok: true | false }`,
        };
      return health;
    } catch (err) {
      return { ok: false, detail: `health() threw: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  /**
   * The instance `ref` (`id`, `id@version` or `id@range`) names, made (unloaded) when there is
   * none yet. For a singleton, refuses a version other than the one active: the active instance
   * must never be orphaned by replacing it. A module that is not one gets the version beside.
   */
  private instanceOf(ref: string): Instance {
    this.deps.assertOpen();
    const { id, version } = parseModuleRef(ref);
    const found =
      version === undefined ? this.deps.instances.current(id) : this.deps.instances.answering(id, version);
    if (found) return found;
    const inst = this.deps.instances.current(id);
    const entry = this.deps.catalog.highest(id, version);
    if (!entry) throw this.deps.catalog.notFound(ref);
    if (inst && inst.state !== "registered" && entry.record.manifest.singleton !== false) {
      throw new ChipsetError(
        ErrorCodes.MODULE_IN_USE,
        `${inst.key} is ${inst.state}; ${id}@${version} cannot be controlled while another version is active (unload ${inst.key} first)`,
        { module: inst.key, details: { active: inst.version, requested: version } },
      );
    }
    return this.deps.factory.create(entry.record, entry.definition);
  }
}
