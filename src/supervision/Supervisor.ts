import type { Clock } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";
import { LazyAbort } from "../common/race.js";
import type { ChipsetError } from "../errors/ChipsetError.js";
import type { CrashInfo } from "../vocabulary/hosts.js";
import { stateIsActive } from "../vocabulary/lifecycle.js";
import { DependentReactions } from "./DependentReactions.js";
import {
  backoffDelay,
  endedNormally,
  policyRestarts,
  restartSettings,
  type RestartSettings,
} from "./restartPolicy.js";
import { importCheckpoint, refOf, released, restartError } from "./moduleFunctions.js";
import type { SupervisedInstances, Supervised, SupervisedLifecycle } from "./Supervised.js";
import type { SupervisionEventSink } from "./SupervisionEvents.js";
import type { SupervisionStore } from "./SupervisionStore.js";

/** What the supervisor needs from the runtime. */
export interface SupervisorDeps<S extends Supervised> {
  clock: Clock;
  /** [0, 1) random numbers for backoff jitter (tests inject a seeded one). */
  random: () => number;
  lifecycle: SupervisedLifecycle<S>;
  instances: SupervisedInstances<S>;
  store: SupervisionStore;
  events: SupervisionEventSink;
  /** Runtime-wide restart defaults (below each manifest's `restart`). */
  defaults: Partial<RestartSettings>;
  /** Brings `inst` (unloaded) back to `running`, its dependencies first. */
  bringUp(inst: S): Promise<void>;
  /** Sets the reason the next unload of `inst` reports (`module.unloaded`); default `request`. */
  unloadReason(inst: S, reason: "exited"): void;
  closing(): boolean;
  /**
   * True when calls to `inst`'s module are still served while it is down: it is one of several
   * replicas and another takes calls. Its crash then switches no fallback on and tells no dependent.
   */
  stillServed(inst: S): boolean;
  /** Something failed that no caller is waiting for (a cleanup, a notice): reported, not thrown. */
  onError(context: string, error: unknown): void;
}

/** Supervision state of one module version, `id@version` (it outlives instances). */
interface Watch {
  /** Restarts since backoff was last reset (sets the next delay). */
  attempts: number;
  /** `clock.now()` of each restart within the window. */
  restarts: number[];
  /** `clock.now()` when it went down; undefined while it serves. */
  downSince: number | undefined;
  /** The pending restart. */
  timer: Disposable | undefined;
  /** Bumped when the module is stopped or unloaded on request: a restart in progress gives up. */
  generation: number;
  /** Aborts the restart in progress (its `importState` sees the signal): stopped on request, or shutdown. */
  restarting: LazyAbort | undefined;
}

/**
 * Restarts crashed modules by their `restart` policy (Erlang's permanent / transient /
 * temporary) with exponential backoff and jitter, gives up after `maxRestarts` within
 * `withinMs`, tells dependents and applies each one's `onDependencyCrash`, and hands the last
 * checkpoint to `importState` after a restart. Everything a crash causes happens here (what it
 * does to dependents in {@link DependentReactions}).
 */
export class Supervisor<S extends Supervised> {
  private readonly watches = new Map<string, Watch>();
  /**
   * Modules (`id@version`) whose downtime was announced (fallback on, dependents told): no replica
   * served. A replica down while another serves its calls announces nothing; the first of them
   * back in service ends the announcement.
   */
  private readonly announced = new Set<string>();
  private readonly dependents: DependentReactions<S>;

  constructor(private readonly deps: SupervisorDeps<S>) {
    this.dependents = new DependentReactions({
      instances: deps.instances,
      lifecycle: deps.lifecycle,
      events: deps.events,
      defaults: deps.defaults,
      onError: (context, error) => deps.onError(context, error),
      isDown: (key) => this.isDown(key),
      stopSupervising: (dep) => {
        // Stopped as asked: no restart, and the next call starts it afresh.
        this.released(dep.key);
        if (dep.state === "crashed") void this.unloadQuietly(dep);
      },
    });
  }

  /** True while the instance at `key` (`id@version`) is down after a crash (crashed, restarting, or given up). */
  isDown(key: string): boolean {
    return this.watches.get(key)?.downSince !== undefined;
  }

  /**
   * Records a successful transition: whether a crash should bring the instance back follows
   * start / stop. (Kept on the instance: a watch is made only for modules that crash.)
   */
  transitioned(inst: S, command: string): void {
    if (command === "start" || command === "resume") {
      inst.wanted = true;
      inst.startedAt = this.deps.clock.now();
    } else if (command === "stop") {
      inst.wanted = false;
    }
  }

  /** True while the instance at `key` is down and no other replica of its module serves its calls. */
  private unserved(key: string): boolean {
    const inst = this.deps.instances.get(key);
    return this.isDown(key) && (inst === undefined || !this.deps.stillServed(inst));
  }

  /** The instance at `key` was stopped or unloaded on request: no restart is pending (or goes on) any more. */
  released(key: string): void {
    const inst = this.deps.instances.get(key);
    if (inst) inst.wanted = false;
    const w = this.watches.get(key);
    if (!w) return;
    w.timer?.dispose();
    w.timer = undefined;
    w.generation++;
    w.restarting?.abort(released(key));
    this.up(key, w, false);
  }

  /** The instance at `key` left the registry: forget everything about it. */
  forget(key: string): void {
    this.released(key);
    this.watches.delete(key);
    this.announced.delete(key);
    this.dependents.forget(key);
  }

  /** Cancels every pending restart (shutdown). */
  close(): void {
    for (const [key, w] of this.watches) {
      w.timer?.dispose();
      w.timer = undefined;
      w.restarting?.abort(released(key));
    }
  }

  /**
   * Handles a crash of `inst`: marks it crashed (its calls were rejected by its host), records
   * it, tells dependents, and restarts it after the backoff delay if its policy says so.
   */
  async crashed(inst: S, crash: CrashInfo): Promise<void> {
    const { clock, lifecycle, events } = this.deps;
    const w = this.of(inst.key);
    await lifecycle.markCrashed(inst, crash.error);
    if (this.deps.instances.get(inst.key) !== inst) return; // replaced or removed meanwhile
    const settings = restartSettings(inst.manifest.restart, this.deps.defaults);
    if (inst.wanted && endedNormally(settings.policy, crash.kind, crash.exitCode)) return this.exited(inst);
    events.emit("module.crashed", { ...refOf(inst), kind: crash.kind, error: crash.error });
    if (!inst.wanted) {
      // It crashed before it ever ran (or after it was stopped): like a failed start, the next
      // use loads it afresh; there is nothing to restart and no fallback to switch to.
      this.record(inst, crash, "none", undefined);
      if (inst.state === "crashed") await this.unloadQuietly(inst);
      return;
    }
    w.downSince ??= clock.now();
    if (!this.deps.stillServed(inst)) {
      // No replica of the module serves any more: announced once, in the module's name.
      const module = this.moduleOf(inst);
      if (!this.announced.has(module.key)) {
        this.announced.add(module.key);
        if (inst.manifest.fallback !== undefined)
          events.emit("module.fallback", {
            ...refOf(module),
            fallback: inst.manifest.fallback,
            active: true,
          });
      }
      this.dependents.crashed(module);
    }
    if (this.deps.closing()) return;
    if (!policyRestarts(settings.policy, crash.kind, crash.exitCode)) {
      this.record(inst, crash, "none", undefined);
      return;
    }
    // Backoff starts again only after the module was really up that long (not while restarts fail).
    const uptime = inst.startedAt === undefined ? 0 : clock.now() - inst.startedAt;
    inst.startedAt = undefined;
    this.schedule(inst, w, settings, crash, uptime >= settings.resetAfterMs);
  }

  /**
   * `inst` ended its own host with exit code 0 and its policy leaves it so: it is unloaded
   * (`module.unloaded`, reason `exited`), as a stop and unload on request would leave it, and the
   * next call loads it again. Not down, so no fallback and nothing to tell dependents (their next
   * call loads it too); no crash in its history.
   */
  private async exited(inst: S): Promise<void> {
    inst.wanted = false;
    inst.startedAt = undefined;
    inst.lastError = undefined; // an end, not an error
    this.deps.unloadReason(inst, "exited");
    await this.unloadQuietly(inst);
  }

  private schedule(
    inst: S,
    w: Watch,
    settings: RestartSettings,
    crash: CrashInfo,
    resetBackoff: boolean,
  ): void {
    const now = this.deps.clock.now();
    w.restarts = w.restarts.filter((t) => now - t < settings.withinMs);
    if (w.restarts.length >= settings.maxRestarts) {
      this.record(inst, crash, "gave-up", undefined);
      this.giveUp(inst, w, settings, crash.error);
      return;
    }
    if (resetBackoff) w.attempts = 0;
    w.attempts++;
    w.restarts.push(now);
    const delayMs = backoffDelay(w.attempts, settings, this.deps.random);
    this.record(inst, crash, "restart", delayMs);
    this.deps.events.emit("module.restarting", {
      ...refOf(inst),
      attempt: w.attempts,
      delayMs,
    });
    w.timer?.dispose();
    w.timer = undefined;
    // No backoff: go at once (a 0 ms timer still costs a turn of the event loop, about a millisecond).
    if (delayMs === 0) void this.restart(inst, w, settings, crash);
    else w.timer = this.deps.clock.setTimeout(() => void this.restart(inst, w, settings, crash), delayMs);
  }

  private async restart(inst: S, w: Watch, settings: RestartSettings, crash: CrashInfo): Promise<void> {
    w.timer = undefined;
    const { lifecycle, clock } = this.deps;
    const generation = w.generation;
    // Still ours to bring back: not closing, not stopped or unloaded on request, not replaced.
    const current = () =>
      !this.deps.closing() &&
      inst.wanted &&
      w.generation === generation &&
      this.deps.instances.get(inst.key) === inst;
    if (!current()) return;
    const blocker = inst.deps.find((d) => !d.optional && this.unserved(d.key));
    if (blocker) {
      if (this.deps.instances.get(blocker.key)?.state === "failed") {
        // Its hard dependency was given up on: it cannot run again either.
        this.record(inst, crash, "gave-up", undefined);
        this.giveUp(inst, w, settings, crash.error);
        return;
      }
      // A hard dependency is down too: starting now would fail. Go when it is back.
      this.dependents.waitFor(blocker.key, inst, () => void this.restart(inst, w, settings, crash));
      return;
    }
    const abort = (w.restarting = new LazyAbort());
    try {
      await this.toRegistered(inst);
      if (!current()) return;
      await lifecycle.advance(inst, "initialized");
      if (!current()) return;
      const others = [...this.deps.instances.all()].filter((o) => o.id === inst.id && o !== inst);
      const checkpoint = this.deps.store.checkpoint(inst, new Set(others.map((o) => o.version)));
      if (checkpoint && inst.host.hasFunction("importState"))
        await importCheckpoint(inst, checkpoint, abort, this.deps.clock);
      if (!current()) return;
      await this.deps.bringUp(inst);
      if (!current()) return;
    } catch (err) {
      // A crash during the restart is handled by crashed() (its host reported it); any other
      // failure (a hook, importState, a dependency) counts as one more failed restart, from a
      // clean slate.
      if (inst.state === "crashed" || !current()) return;
      this.deps.onError(`restart of ${inst.key}`, err);
      await this.toRegistered(inst).catch((error: unknown) =>
        this.deps.onError(`cleanup after the failed restart of ${inst.key}`, error),
      );
      if (inst.state !== "registered" || !current()) return;
      this.schedule(inst, w, settings, { ...crash, error: restartError(err, inst) }, false);
      return;
    } finally {
      if (w.restarting === abort) w.restarting = undefined;
    }
    this.deps.events.emit("module.restarted", {
      ...refOf(inst),
      attempt: w.attempts,
      downtimeMs: clock.now() - (w.downSince ?? clock.now()),
    });
    this.up(inst.key, w, true);
  }

  /**
   * Stops (if it serves) and unloads `inst`, so a restart starts from nothing. The stop is the
   * supervisor's own, not a request: the module is still wanted afterwards (a request in the
   * meantime bumps the watch's generation, which the restart checks).
   */
  private async toRegistered(inst: S): Promise<void> {
    const wanted = inst.wanted;
    try {
      if (stateIsActive(inst.state)) await this.deps.lifecycle.run(inst, "stop");
      if (inst.state !== "registered") await this.deps.lifecycle.run(inst, "unload");
    } finally {
      inst.wanted = wanted;
    }
  }

  /**
   * Back in service (or stopped on request): restarts waiting for it go; if its module's downtime
   * was announced (no replica served), fallback ends and dependents are told and restarted.
   */
  private up(key: string, w: Watch, restarted: boolean): void {
    if (w.downSince === undefined) return;
    w.downSince = undefined;
    const inst = this.deps.instances.get(key);
    if (!inst) return;
    const module = this.moduleOf(inst);
    if (!this.announced.delete(module.key)) return this.dependents.back(inst, false);
    const fallback = inst.manifest.fallback;
    if (fallback !== undefined)
      this.deps.events.emit("module.fallback", {
        ...refOf(module),
        fallback,
        active: false,
      });
    this.dependents.back(module, restarted);
  }

  /** The instance that stands for `inst`'s module (`id@version`): its first replica, or itself. */
  private moduleOf(inst: S): S {
    if (inst.replica === 0) return inst;
    return this.deps.instances.get(`${inst.id}@${inst.version}`) ?? inst;
  }

  private giveUp(inst: S, w: Watch, settings: RestartSettings, error: ChipsetError): void {
    this.deps.lifecycle.giveUp(inst, error);
    const crashes = this.deps.store.crashes(inst.id, settings.maxRestarts + 1);
    this.deps.events.emit("module.gave-up", {
      ...refOf(inst),
      restarts: w.restarts.length,
      withinMs: settings.withinMs,
      crashes,
    });
    // A replica given up on while others serve its module: dependents keep calling those.
    const module = this.moduleOf(inst);
    if (this.announced.has(module.key) && !this.deps.stillServed(inst)) this.dependents.gaveUp(module);
    else this.dependents.back(inst, false);
  }

  private unloadQuietly(inst: S): Promise<void> {
    return this.deps.lifecycle
      .run(inst, "unload")
      .catch((error: unknown) => this.deps.onError(`unload of ${inst.key} after its host ended`, error));
  }

  private record(
    inst: S,
    crash: CrashInfo,
    action: "restart" | "none" | "gave-up",
    delayMs: number | undefined,
  ): void {
    this.deps.store.recordCrash({
      ...refOf(inst),
      at: this.deps.clock.wallNow(),
      kind: crash.kind,
      message: crash.error.message,
      action,
      delayMs,
    });
  }

  private of(key: string): Watch {
    let w = this.watches.get(key);
    if (!w) {
      w = {
        attempts: 0,
        restarts: [],
        downSince: undefined,
        timer: undefined,
        generation: 0,
        restarting: undefined,
      };
      this.watches.set(key, w);
    }
    return w;
  }
}
