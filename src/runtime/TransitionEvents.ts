import type { Logger } from "pino";
import type { Clock } from "../common/Clock.js";
import type { Emitter } from "../common/Emitter.js";
import type { ChipsetError } from "../errors/ChipsetError.js";
import type { Instance } from "../instances/Instance.js";
import type { FailureReport } from "../lifecycle/LifecycleRunner.js";
import type { LifecycleCommand, LifecycleState } from "../vocabulary/lifecycle.js";
import type { ModuleRef, RuntimeEvents, UnloadReason } from "./RuntimeEvents.js";

/** What turning transitions into events needs. */
export interface TransitionEventsDeps {
  clock: Clock;
  logger: Logger;
  events: Emitter<RuntimeEvents>;
  /** Told of every successful transition first (supervision follows start / stop). */
  transitioned(inst: Instance, command: LifecycleCommand): void;
}

/**
 * Turns what the lifecycle runner reports into the runtime's events: `module.state` for every
 * step, `module.loaded` / `started` / `stopped` / `unloaded` for the ones people watch,
 * `module.failed` for a failed transition and `hook.failed` for an application `after:` hook.
 * Payloads are built only for events someone listens to: this runs on every lifecycle step
 * (3,000 of them to start 1,000 modules).
 */
export class TransitionEvents {
  /** Instances being loaded by idle-time preloading (their `module.loaded` says so). */
  private readonly preloading = new Set<Instance>();
  /** Why the next unload of an instance happens, when it is not a request. */
  private readonly unloadReasons = new WeakMap<Instance, UnloadReason>();

  constructor(private readonly deps: TransitionEventsDeps) {}

  /** `inst` is about to be loaded ahead of use (preloading). */
  preloadingOf(inst: Instance): void {
    this.preloading.add(inst);
  }

  /** The next unload of `inst` reports `reason` (default `request`). */
  unloadReason(inst: Instance, reason: UnloadReason): void {
    this.unloadReasons.set(inst, reason);
  }

  /** A transition of `inst` succeeded, in `durationMs`. */
  transitioned(
    inst: Instance,
    command: LifecycleCommand,
    from: LifecycleState,
    to: LifecycleState,
    durationMs: number,
  ): void {
    const events = this.deps.events;
    this.deps.transitioned(inst, command);
    if (events.has("module.state"))
      events.emit("module.state", { ...moduleRef(inst), command, from, to, durationMs });
    if (command === "load") {
      const preload = this.preloading.delete(inst);
      if (events.has("module.loaded"))
        events.emit("module.loaded", { ...moduleRef(inst), durationMs, preload });
    } else if (command === "start") {
      inst.lastUsedAt = this.deps.clock.now();
      if (events.has("module.started"))
        events.emit("module.started", { ...moduleRef(inst), durationMs, host: inst.host.info() });
    } else if (command === "stop") {
      if (events.has("module.stopped")) events.emit("module.stopped", { ...moduleRef(inst), durationMs });
    } else if (command === "unload") {
      const reason = this.unloadReasons.get(inst) ?? "request";
      this.unloadReasons.delete(inst);
      if (events.has("module.unloaded")) events.emit("module.unloaded", { ...moduleRef(inst), reason });
    }
  }

  /** A transition failed and rolled back to `report.state`; logged once as a warning, and `module.failed`. */
  failed(report: FailureReport<Instance>): void {
    const inst = report.subject;
    this.preloading.delete(inst);
    this.deps.logger.warn(
      { module: inst.key, command: report.command, code: report.error.code },
      report.error.message,
    );
    this.deps.events.emit("module.failed", {
      id: inst.id,
      version: inst.version,
      command: report.command,
      error: report.error,
      state: report.state,
    });
  }

  /** An application `after:` hook failed; the transition stands. */
  afterHookFailed(inst: Instance, command: LifecycleCommand, error: ChipsetError): void {
    this.deps.events.emit("hook.failed", { id: inst.id, version: inst.version, command, error });
  }
}

/** The module an event is about: its id and version, and its replica number after the first. */
export function moduleRef(inst: Instance): ModuleRef {
  const { id, version, replica } = inst;
  return replica === 0 ? { id, version } : { id, version, replica };
}
