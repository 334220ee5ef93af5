import type { Clock } from "../common/Clock.js";
import type { Emitter } from "../common/Emitter.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Instance } from "../instances/Instance.js";
import { ProbeRunner, type ProbeStatus, type ProbeTarget } from "../supervision/ProbeRunner.js";
import {
  hasProbes,
  probeSettings,
  type ProbeName,
  type ProbeSettings,
} from "../supervision/probeSettings.js";
import type { LifecycleCommand } from "../vocabulary/lifecycle.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import { moduleRef } from "./TransitionEvents.js";

/** What the probes of running modules need from the runtime. */
export interface ProbesDeps {
  clock: Clock;
  events: Emitter<RuntimeEvents>;
  /** Told of every probe result (a replica's health counts its liveness and readiness probes). */
  observed(inst: Instance, probe: ProbeName, ok: boolean, error: Error | undefined): void;
}

/**
 * The probes of every running instance whose manifest declares `probes`: a {@link ProbeRunner}
 * made when the instance starts and stopped when it stops, unloads or crashes. What a probe
 * decides happens here: a failed liveness or startup probe ends the instance's host as crashed
 * (kind `liveness` or `startup`), so its supervisor restarts it as after any crash; a failed
 * readiness probe sets {@link Instance.unready}, which the call path reads.
 */
export class Probes {
  private readonly runners = new Map<Instance, ProbeRunner>();
  /** `clock.now()` when each instance out of service went out. */
  private readonly unreadySince = new Map<Instance, number>();

  constructor(private readonly deps: ProbesDeps) {}

  /** Follows the lifecycle: probing begins at `start` and ends at `stop` and `unload`. */
  transitioned(inst: Instance, command: LifecycleCommand): void {
    if (command === "start") this.begin(inst);
    else if (command === "stop" || command === "unload") this.end(inst);
  }

  /** `inst` crashed: its probes stop, and it is back in service for whoever starts it next. */
  crashed(inst: Instance): void {
    this.end(inst);
  }

  /** Where the probes of `inst` stand; undefined when none run. */
  status(inst: Instance): ProbeStatus | undefined {
    return this.runners.get(inst)?.status();
  }

  /** Stops every runner (the runtime is closing). */
  close(): void {
    for (const inst of [...this.runners.keys()]) this.end(inst);
  }

  private begin(inst: Instance): void {
    const probes = inst.manifest.probes;
    if (!hasProbes(probes)) return;
    this.end(inst);
    const runner = new ProbeRunner(this.deps.clock, probes, this.target(inst));
    this.runners.set(inst, runner);
    runner.start();
  }

  private end(inst: Instance): void {
    const runner = this.runners.get(inst);
    if (runner === undefined) return;
    this.runners.delete(inst);
    runner.stop();
    if (inst.unready !== undefined) {
      inst.unready = undefined;
      this.unreadySince.delete(inst);
      this.fallback(inst, false);
    }
  }

  private target(inst: Instance): ProbeTarget {
    const { events, clock } = this.deps;
    const { id, version } = inst;
    return {
      check: (settings, signal) => check(inst, settings, signal),
      probeable: () => inst.takesCalls,
      reported: (result) => {
        const { probe, ok, consecutive, error } = result;
        this.deps.observed(inst, probe, ok, error);
        if (!events.has("module.probe")) return;
        events.emit("module.probe", {
          ...moduleRef(inst),
          probe,
          ok,
          consecutive,
          ...(error === undefined ? {} : { error: error.message }),
        });
      },
      failed: (probe, failures, error) => {
        this.end(inst);
        const what =
          probe === "liveness"
            ? `its liveness probe failed ${failures} times in a row (last: ${error.message})`
            : startupMissed(inst, error);
        inst.host.end({ kind: probe, what, cause: error });
      },
      readiness: (ready, consecutive, error) => {
        if (!ready) {
          inst.unready = notReady(inst, consecutive, error!);
          this.unreadySince.set(inst, clock.now());
          events.emit("module.unready", { id, version, failures: consecutive, error: inst.unready });
          this.fallback(inst, true);
          return;
        }
        inst.unready = undefined;
        const since = this.unreadySince.get(inst) ?? clock.now();
        this.unreadySince.delete(inst);
        events.emit("module.ready", { id, version, successes: consecutive, unreadyMs: clock.now() - since });
        this.fallback(inst, false);
      },
    };
  }

  /** Tells that calls to `inst` go to its manifest's fallback module (or back), as after a crash. */
  private fallback(inst: Instance, active: boolean): void {
    const fallback = inst.manifest.fallback;
    if (fallback !== undefined)
      this.deps.events.emit("module.fallback", { id: inst.id, version: inst.version, fallback, active });
  }
}

/**
 * One check of `inst`: its `health()` (a module without one passes), or an api method called
 * with no arguments, which passes unless it throws, answers `false`, or answers `{ ok: false }`.
 */
async function check(inst: Instance, settings: ProbeSettings, signal: AbortSignal): Promise<void> {
  const host = inst.host;
  if ("health" in settings.check) {
    if (!host.hasFunction("health")) return;
    const answer = await host.callFunction("health", [], signal);
    const ok = (answer as { ok?: unknown } | undefined)?.ok;
    if (ok === true) return;
    const detail = (answer as { detail?: unknown } | undefined)?.detail;
    if (ok === false)
      throw new Error(typeof detail === "string" ? detail : "health() answered { ok: false }");
    throw new Error(`health() answered ${JSON.stringify(answer) ?? "nothing"}, not { ok: true | false }`);
  }
  const { method } = settings.check;
  if (!host.hasMethod(method)) throw new Error(`${inst.key} has no api method "${method}" to probe`);
  const answer = await host.call(method, [], { signal });
  if (answer === false) throw new Error(`${method}() answered false`);
  const fields = answer as { ok?: unknown; detail?: unknown } | null | undefined;
  if (typeof fields === "object" && fields !== null && fields.ok === false)
    throw new Error(typeof fields.detail === "string" ? fields.detail : `${method}() answered { ok: false }`);
}

/** What the crash of an instance whose startup probe never passed says happened. */
function startupMissed(inst: Instance, error: Error): string {
  const { failureThreshold, periodMs } = probeSettings(inst.manifest.probes!.startup!);
  return (
    `its startup probe did not pass within failureThreshold ${failureThreshold} × periodMs ${periodMs} ms ` +
    `(last: ${error.message})`
  );
}

/** `CHIP_ERR_MODULE_NOT_READY` for `inst`, whose readiness probe failed `failures` times in a row. */
function notReady(inst: Instance, failures: number, cause: Error): ChipsetError {
  const advice =
    inst.manifest.fallback === undefined
      ? `; calls fail at once until it passes again (declare a "fallback" module in its manifest to answer meanwhile)`
      : `; calls go to its fallback ${inst.manifest.fallback} until it passes again`;
  return new ChipsetError(
    ErrorCodes.MODULE_NOT_READY,
    `${inst.key} is out of service: its readiness probe failed ${failures} times in a row (last: ${cause.message})${advice}`,
    { module: inst.key, cause, details: { probe: "readiness", failures } },
  );
}
