import type { DependencyChange } from "../module.js";
import { stateIsActive } from "../vocabulary/lifecycle.js";
import { notifyDependent } from "./moduleFunctions.js";
import { restartSettings, type RestartSettings } from "./restartPolicy.js";
import type { Supervised, SupervisedInstances, SupervisedLifecycle } from "./Supervised.js";
import type { SupervisionEventSink } from "./SupervisionEvents.js";

/** What {@link DependentReactions} asks of the runtime, and of the supervisor that owns it. */
export interface DependentPorts<S extends Supervised> {
  instances: SupervisedInstances<S>;
  lifecycle: SupervisedLifecycle<S>;
  events: SupervisionEventSink;
  /** Runtime-wide restart defaults (below each manifest's `restart`, for its `onDependencyCrash`). */
  defaults: Partial<RestartSettings>;
  /** Something failed that no caller is waiting for (a stop, a restart, a notice): reported, not thrown. */
  onError(context: string, error: unknown): void;
  /** True while the instance at `key` (`id@version`) is down after a crash. */
  isDown(key: string): boolean;
  /** `dep`, down itself, reacts `stop` to a dependency's crash: no restart, the next call starts it afresh. */
  stopSupervising(dep: S): void;
}

/**
 * What a module's crash does to the modules that depend on it. Each active dependent is told
 * (`module.dependency`, and its `dependencyChanged`) and reacts by its `onDependencyCrash`: it
 * carries on, is stopped, or is stopped and started again once the module serves again. A
 * dependent's own restart that needs a module still down waits here until that module is back or
 * given up on. Modules are addressed `id@version`.
 */
export class DependentReactions<S extends Supervised> {
  /** Per module: the dependents its crash stopped (with their stop), to start once it is back. */
  private readonly stopped = new Map<string, Map<S, Promise<void>>>();
  /** Per module: restarts of dependents waiting for it to serve again (retrying earlier would fail). */
  private readonly blocked = new Map<string, Map<S, () => void>>();

  constructor(private readonly ports: DependentPorts<S>) {}

  /** Runs `restart` (of `dependent`) once the module at `key` serves again, or has been given up on. */
  waitFor(key: string, dependent: S, restart: () => void): void {
    let waiting = this.blocked.get(key);
    if (!waiting) this.blocked.set(key, (waiting = new Map<S, () => void>()));
    waiting.set(dependent, restart);
  }

  /** `inst` crashed: its dependents are told and react. */
  crashed(inst: S): void {
    this.tell(inst, "crashed");
  }

  /**
   * `inst` is back in service, or was stopped on request (`restarted` false): restarts that waited
   * for it go now; after a restart, its dependents are told and those its crash stopped start again.
   */
  back(inst: S, restarted: boolean): void {
    this.unblock(inst.key);
    if (!restarted) return;
    this.tell(inst, "restarted");
    const stopped = this.stopped.get(inst.key);
    if (!stopped) return;
    const waiting = [...stopped];
    stopped.clear();
    for (const [dep, stopping] of waiting) {
      // Its stop may still be running: start it once that has finished.
      void stopping
        .then(() => {
          if (this.ports.instances.get(dep.key) === dep && dep.state === "stopped")
            return this.ports.lifecycle.advance(dep, "running");
        })
        .catch((error: unknown) => this.ports.onError(`restart of ${dep.key} after ${inst.key}`, error));
    }
  }

  /** The supervisor gave up on `inst`: its dependents are told, and restarts waiting for it find it failed. */
  gaveUp(inst: S): void {
    this.tell(inst, "gave-up");
    this.stopped.delete(inst.key);
    this.unblock(inst.key);
  }

  /** The module at `key` left the registry: nothing waits for it any more. */
  forget(key: string): void {
    this.stopped.delete(key);
    this.blocked.delete(key);
  }

  private unblock(key: string): void {
    const waiting = this.blocked.get(key);
    if (!waiting) return;
    const restarts = [...waiting.values()];
    waiting.clear();
    for (const restart of restarts) restart();
  }

  /** Tells each active dependent of `inst` what happened, and applies its `onDependencyCrash`. */
  private tell(inst: S, status: DependencyChange["status"]): void {
    const { instances, events, lifecycle } = this.ports;
    const onError = (context: string, error: unknown) => this.ports.onError(context, error);
    let stopped = this.stopped.get(inst.key);
    for (const dep of instances.all()) {
      if (dep === inst || !dep.deps.some((d) => d.key === inst.key)) continue;
      const reaction = restartSettings(dep.manifest.restart, this.ports.defaults).onDependencyCrash;
      const active = stateIsActive(dep.state);
      if (!active && !(status !== "crashed" && stopped?.has(dep))) continue;
      events.emit("module.dependency", {
        id: dep.id,
        version: dep.version,
        dependency: inst.id,
        status,
        reaction,
      });
      if (active) notifyDependent(dep, { id: inst.id, status }, onError);
      if (status !== "crashed" || reaction === "continue" || !active) continue;
      if (this.ports.isDown(dep.key)) {
        // Down itself (restarting): its own restart waits for this module. Only "stop" changes that.
        if (reaction === "stop") this.ports.stopSupervising(dep);
        continue;
      }
      const stopping = lifecycle
        .run(dep, "stop")
        .catch((error: unknown) => onError(`stop of ${dep.key} after ${inst.id} crashed`, error));
      if (reaction !== "restart") continue;
      if (!stopped) this.stopped.set(inst.key, (stopped = new Map<S, Promise<void>>()));
      stopped.set(dep, stopping);
    }
  }
}
