import type { Clock } from "../common/Clock.js";
import { abortError } from "../common/abort.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceFactory } from "../instances/InstanceFactory.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import { satisfies } from "../resolver/fastSemver.js";
import { stateIsActive } from "../vocabulary/lifecycle.js";
import type { ActiveReason, ActiveVersions } from "../registry/ActiveVersions.js";
import type { HistoryAction, UpdateHistory } from "../registry/UpdateHistory.js";
import { messageOf } from "../errors/index.js";
import type { Activator } from "./Activator.js";
import type { ModuleControl } from "./ModuleControl.js";
import type { Emitter } from "../common/Emitter.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import {
  startReport,
  updateFailed,
  type UpdateOptions,
  type UpdateReport,
  type UpdateStep,
} from "./updateReport.js";
import { UpdateSwitch } from "./UpdateSwitch.js";
import { obtainVersion, type ObtainDeps } from "./obtainVersion.js";
import { Canary } from "./Canary.js";
import { canarySettings } from "./canaryVerdict.js";
import type { CallSplit } from "./CallSplit.js";
import type { Disposable } from "../common/Disposable.js";
import { validateUpdateOptions } from "./validateOptions.js";

/** What updates need from the runtime. */
export interface UpdaterDeps extends ObtainDeps {
  clock: Clock;
  events: Emitter<RuntimeEvents>;
  instances: InstanceReader;
  factory: InstanceFactory;
  activator: Activator;
  control: ModuleControl;
  /** The desired state: the version of each module that serves, recorded at each switch. */
  active: Pick<ActiveVersions, "get" | "set">;
  /** Calls `method` of `ref` through its policies (the new version's verify calls). */
  call(ref: string, method: string, args: readonly unknown[]): Promise<unknown>;
  /** Forgets supervision of the instance at `key` (a retired or taken-back version is not restarted). */
  release(key: string): void;
  /** Lets `split` choose where calls to an instance go, until disposed (a canary). */
  split(split: CallSplit): Disposable;
  assertOpen(): void;
  /** Where each update and rollback is recorded once over (see {@link UpdateHistory}). */
  history: Pick<UpdateHistory, "record">;
  /** Told of what went wrong outside an update's own steps (its history not recorded). */
  onError(context: string, error: unknown): void;
}

const DEFAULT_DRAIN_MS = 5_000;
const BEFORE_SWITCH: ReadonlySet<UpdateStep> = new Set([
  "resolve",
  "fetch",
  "install",
  "start",
  "verify",
  "canary",
  "switch",
]);
const DEFAULT_GRACE_MS = 10_000;

/**
 * Hot update, blue-green: fetches and verifies the new version, installs it, starts it beside
 * the old one, checks it (`health()` and its manifest's `update.verify` calls), with the canary
 * strategy sends it a share of the calls for a while and judges it against the old one
 * ({@link Canary}), switches calls to it in one step with the old version's state handed over
 * ({@link UpdateSwitch}), watches it for a grace period, and retires the old version (stopped
 * and unloaded, kept installed). Any failure before the switch (a canary that did not pass
 * included) leaves the old version serving; a crash or an anomaly in the grace period switches
 * back. `rollback(id)` updates back to the version the last update replaced (the data directory
 * records it, see {@link ActiveVersions}).
 */
export class Updater {
  /** Updates in progress, by id: one at a time per module. */
  private readonly running = new Map<string, Promise<UpdateReport>>();

  constructor(private readonly deps: UpdaterDeps) {}

  /** Updates `id` (see {@link UpdateOptions}); rejects with `CHIP_ERR_UPDATE_FAILED` (or `CHIP_ERR_INTEGRITY_MISMATCH`) when it did not happen. */
  update(id: string, options: UpdateOptions = {}): Promise<UpdateReport> {
    this.deps.assertOpen();
    return this.start(id, options, "update");
  }

  private start(id: string, options: UpdateOptions, reason: HistoryAction): Promise<UpdateReport> {
    if (this.running.has(id))
      return Promise.reject(
        new ChipsetError(ErrorCodes.MODULE_IN_USE, `an update of ${id} is already in progress; wait for it`, {
          module: id,
        }),
      );
    const startedAt = this.deps.clock.wallNow();
    const work = this.run(id, options, reason)
      .then(
        (report) => {
          this.record(reason, options, startedAt, report, undefined);
          return report;
        },
        (err: unknown) => {
          const report = err instanceof ChipsetError ? err.details["report"] : undefined;
          this.record(reason, options, startedAt, report as UpdateReport | undefined, err);
          throw err;
        },
      )
      .finally(() => this.running.delete(id));
    this.running.set(id, work);
    return work;
  }

  /**
   * Updates `id` back to the version its last update (or rollback) replaced, as the data
   * directory records it: a rollback survives restarts and may be asked by another process.
   */
  async rollback(id: string, options: Omit<UpdateOptions, "from" | "version"> = {}): Promise<UpdateReport> {
    this.deps.assertOpen();
    const before = this.deps.active.get(id)?.previous ?? null;
    if (before === null || this.deps.catalog.get(id, before) === undefined)
      throw new ChipsetError(
        ErrorCodes.MODULE_NOT_FOUND,
        before === null
          ? `${id} has no update to roll back; name the version instead (update ${id} to ${id}@<version>)`
          : `${id} cannot roll back to ${before}: that version is no longer installed; install it again, or name another version`,
        { module: id, details: { previous: before } },
      );
    const report = await this.start(id, { ...options, version: before }, "rollback");
    this.deps.events.emit("update.rolled-back", {
      id,
      from: report.from,
      to: report.to,
      reason: "requested",
      durationMs: report.durationMs,
    });
    return report;
  }

  private async run(id: string, options: UpdateOptions, reason: ActiveReason): Promise<UpdateReport> {
    validateUpdateOptions(options); // before anything happens (no event, nothing fetched)
    const { clock, events, active } = this.deps;
    const started = clock.now();
    const old = this.active(id);
    const recorded = active.get(id);
    const report = startReport(id, old?.version ?? null);
    const finish = (outcome: UpdateReport["outcome"]) => {
      report.outcome = outcome;
      report.durationMs = clock.now() - started;
      return report;
    };
    let step: UpdateStep = "resolve";
    /** Whether the step that failed is in the report already (with its duration). */
    let failedStepTimed = false;
    const timed = async <T>(name: UpdateStep, fn: () => T | Promise<T>): Promise<T> => {
      step = name;
      options.onStep?.(name);
      const t0 = clock.now();
      // The signal cancels the steps before the switch; from the switch on, an update finishes
      // (or switches back) rather than leave two versions half-way.
      if (options.signal?.aborted === true && BEFORE_SWITCH.has(name))
        throw abortError(options.signal, `the update of ${id}`);
      try {
        const value = await fn();
        report.steps.push({ step: name, ms: clock.now() - t0 });
        return value;
      } catch (err) {
        report.steps.push({ step: name, ms: clock.now() - t0, error: codeOf(err) });
        failedStepTimed = true;
        throw err;
      }
    };
    events.emit("update.started", { id, from: report.from, to: options.version ?? null, durationMs: 0 });
    try {
      // Until the switch, the version that serves stays the one a restart loads, even though a
      // higher one gets installed: a process killed half-way comes back on the old version.
      if (old !== undefined && recorded?.version !== old.version)
        active.set(id, old.version, recorded?.previous ?? null, "loaded");
      const idle = recorded?.version ?? this.deps.catalog.versions(id)[0] ?? null; // what loads next
      const to = await obtainVersion(this.deps, id, options, report, timed, idle);
      report.to = to;
      if ((old?.version ?? idle) === to) return finish("unchanged");
      if (old === undefined) {
        active.set(id, to, idle, reason);
        events.emit("update.completed", { id, from: null, to, durationMs: clock.now() - started });
        return finish("installed");
      }
      this.refuseBrokenDependents(old, to);
      // Calls stay with the old version while the new one starts beside it, until the switch.
      this.deps.factory.route(id, old);
      const next = await timed("start", () => this.startBeside(id, to));
      const flip = new UpdateSwitch(old, next, this.deps);
      try {
        await timed("verify", () => this.verify(next));
        if (options.strategy === "canary")
          await timed("canary", () => this.canary(old, next, options, report));
        await timed("switch", async () => {
          const { gateMs, stateMigrated } = await flip.forward(options.drainTimeoutMs ?? DEFAULT_DRAIN_MS);
          report.gateMs = gateMs;
          report.stateMigrated = stateMigrated;
          active.set(id, to, old.version, reason); // the moment the new version serves
        });
      } catch (err) {
        await flip.discardNew();
        throw err;
      }
      events.emit("update.switched", {
        id,
        from: old.version,
        to,
        durationMs: clock.now() - started,
        gateMs: report.gateMs,
      });
      const trouble = await timed("grace", () => flip.watch(options.graceMs ?? DEFAULT_GRACE_MS));
      if (trouble !== undefined) {
        step = "grace";
        await timed("rollback", () => flip.back());
        active.set(id, old.version, recorded?.previous ?? null, "rolled-back");
        finish("rolled-back");
        events.emit("update.rolled-back", {
          id,
          from: old.version,
          to,
          reason: trouble.message,
          durationMs: report.durationMs,
        });
        throw updateFailed(report, "grace", trouble);
      }
      // A module side by side keeps its old version for the dependents whose range excludes the new one.
      if (flip.oldStillNeeded()) flip.dispose();
      else await timed("retire", () => flip.retireOld());
      finish("completed");
      events.emit("update.completed", { id, from: old.version, to, durationMs: report.durationMs });
      return report;
    } catch (err) {
      // An error that carries this report is the update's own (a rollback after the switch, an
      // integrity mismatch); anything else is what failed at `step`.
      const error =
        err instanceof ChipsetError && err.details["report"] === report
          ? err
          : updateFailed(
              finishFailed(report, failedStepTimed ? undefined : step, err, clock.now() - started),
              step,
              err,
            );
      if (report.outcome !== "rolled-back")
        events.emit("update.failed", {
          id,
          from: report.from,
          to: report.to,
          step,
          error,
          durationMs: report.durationMs,
        });
      throw error;
    }
  }

  /**
   * Adds an update that ran to the history. Not one refused before it began (malformed options:
   * no report), nor one of a module that is not installed (anyone may ask for any id). A failure
   * to record is reported and swallowed: the update's outcome stands.
   */
  private record(
    action: HistoryAction,
    options: UpdateOptions,
    startedAt: number,
    report: UpdateReport | undefined,
    err: unknown,
  ): void {
    try {
      if (report === undefined || this.deps.catalog.versions(report.id).length === 0) return;
      this.deps.history.record({
        id: report.id,
        action,
        strategy: options.strategy ?? "blue-green",
        from: report.from,
        to: report.to,
        outcome: report.outcome,
        code: err === undefined ? null : err instanceof ChipsetError ? err.code : "error",
        message: err === undefined ? null : messageOf(err),
        startedAt,
        finishedAt: this.deps.clock.wallNow(),
        report: { ...report },
      });
    } catch (error) {
      this.deps.onError(
        `recording the ${action} of ${report?.id ?? "a module"} in the update history`,
        error,
      );
    }
  }

  /** The loaded instance of `id` that serves calls now, if any. */
  private active(id: string): Instance | undefined {
    const inst = this.deps.instances.current(id);
    return inst !== undefined && stateIsActive(inst.state) ? inst : undefined;
  }

  /** Refuses a new singleton version that a running dependent's range excludes, naming them. */
  private refuseBrokenDependents(old: Instance, to: string): void {
    if (old.manifest.singleton === false) return;
    for (const dependent of this.deps.instances.all()) {
      if (!stateIsActive(dependent.state) || !dependent.deps.some((d) => d.key === old.key)) continue;
      const range = dependent.manifest.requires?.[old.id] ?? dependent.manifest.optional?.[old.id];
      if (range === undefined || satisfies(to, range)) continue;
      throw new ChipsetError(
        ErrorCodes.VERSION_CONFLICT,
        `${dependent.key} requires ${old.id} ${range}, which ${to} does not satisfy; update ${dependent.id} too, or let ${old.id} run side by side ("singleton": false)`,
        { module: old.key, details: { dependent: dependent.key, range, to } },
      );
    }
  }

  /** Starts `id@to` (and what it needs) beside the running version; it takes no calls yet. */
  private async startBeside(id: string, to: string): Promise<Instance> {
    const { activator } = this.deps;
    const plan = activator.plan([{ id, range: to }], id);
    const next = plan.roots[0]!;
    const outcomes = await activator.bringUp(plan, "running");
    const failed = outcomes.find((o) => !o.ok);
    if (failed !== undefined) {
      await new UpdateSwitch(next, next, this.deps).discardNew();
      throw failed.error!;
    }
    return next;
  }

  /** Runs the canary of `next` beside `old` into `report`; throws unless it passed. */
  private async canary(old: Instance, next: Instance, options: UpdateOptions, report: UpdateReport) {
    const canary = new Canary(old, next, canarySettings(options.canary), {
      ...this.deps,
      route: (from, to) => this.deps.factory.canary(from, to),
    });
    const { report: outcome, error } = await canary.run(options.signal);
    report.canary = outcome;
    if (error !== undefined) throw error;
  }

  /** The new version's own check: `health()` ok, and every `update.verify` call of its manifest answers. */
  private async verify(next: Instance): Promise<void> {
    const health = await this.deps.control.health(next.key);
    if (!health.ok)
      throw new ChipsetError(
        ErrorCodes.HOOK_FAILED,
        `${next.key} is not healthy: ${health.detail ?? "health() said ok: false"}`,
        {
          module: next.key,
          details: { phase: "health", detail: health.detail ?? null },
        },
      );
    for (const check of next.manifest.update?.verify ?? [])
      await this.deps.call(next.key, check.method, check.args ?? []);
  }
}

/** `report` of an update that failed, with the step that failed added when it is not there yet. */
function finishFailed(
  report: UpdateReport,
  step: UpdateStep | undefined,
  err: unknown,
  durationMs: number,
): UpdateReport {
  if (step !== undefined) report.steps.push({ step, ms: 0, error: codeOf(err) });
  report.outcome = "failed";
  report.durationMs = durationMs;
  return report;
}

function codeOf(err: unknown): string {
  return err instanceof ChipsetError ? err.code : "error";
}
