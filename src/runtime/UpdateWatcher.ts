import type { Logger } from "pino";
import semver from "semver";
import type { Clock } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";
import type { Emitter } from "../common/Emitter.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { pickUpdate } from "../updates/pickUpdate.js";
import type { UpdatesSettings } from "../updates/UpdateConfig.js";
import {
  findUpdates,
  summarize,
  type FindUpdatesDeps,
  type ModuleFindings,
  type OutdatedModule,
  type UpdateCheckFailure,
  type UpdateCheckReport,
} from "./findUpdates.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import type { UpdateOptions, UpdateReport } from "./updateReport.js";

/** What watching for new versions needs from the runtime. */
export interface UpdateWatcherDeps extends FindUpdatesDeps {
  clock: Clock;
  logger: Logger;
  events: Emitter<RuntimeEvents>;
  /** `updates.auto` and `updates.intervalMs` of the config. */
  settings: UpdatesSettings;
  /** The application's `use` ranges by id (they bound `wanted` and automatic updates). */
  use: ReadonlyMap<string, { range: string }>;
  /** Ids the config overrides: pinned, so never updated by themselves. */
  overrides: ReadonlyMap<string, unknown>;
  /** `runtime.update`. */
  update(id: string, options: UpdateOptions): Promise<UpdateReport>;
  /** Reports a background failure (`runtime.error`, hence the error monitor). */
  onError(context: string, error: unknown): void;
  /** True once the runtime is closing. */
  closing(): boolean;
}

/** Options of `runtime.checkUpdates()`. */
export interface CheckUpdatesOptions {
  /** Only these module ids (each must be installed). Default: every installed module. */
  ids?: readonly string[];
  /** Cancels the check: it rejects with `CHIP_ERR_ABORTED`. */
  signal?: AbortSignal;
}

/**
 * Detection of new versions: once the runtime has started, every `updates.intervalMs` it looks
 * for versions of the installed modules newer than the highest installed (see
 * {@link findUpdates}), announces each newly seen one once (`update.available`), and with
 * `updates.auto` applies the highest one the policy allows, one module at a time, through
 * `runtime.update` (whose own events say how it went; a version tried once is not tried again,
 * nor one that was rolled back). A failing source is reported once until it recovers and does
 * not stop the others. `check()` runs one check on demand. Timers are background ones on the
 * runtime's clock; `close()` stops them and cancels the check in flight.
 */
export class UpdateWatcher {
  /** `id@version`s announced with `update.available`. */
  private readonly announced = new Set<string>();
  /** `id@version`s an automatic update went for (or that were rolled back): not tried again. */
  private readonly attempted = new Set<string>();
  /** The failure last reported for each failing source, until it answers again. */
  private readonly failing = new Map<string, string>();
  private readonly stopping = new AbortController();
  private timer: Disposable | undefined;
  private rolledBack: Disposable | undefined;
  private started = false;

  constructor(private readonly deps: UpdateWatcherDeps) {}

  /** Starts checking on the interval (the first check one interval from now); idempotent; nothing when the interval is 0. */
  start(): void {
    if (this.started || this.deps.closing()) return;
    this.started = true;
    this.rolledBack = this.deps.events.on("update.rolled-back", (e) => {
      if (e.to !== null) this.attempted.add(`${e.id}@${e.to}`);
    });
    this.schedule();
  }

  /**
   * Runs one check now: announces what is newly seen (`update.available`) and answers every
   * module with a newer version, and the sources that failed. Applies nothing. Throws
   * `CHIP_ERR_MODULE_NOT_FOUND` for an id in `ids` that is not installed, `CHIP_ERR_ABORTED`
   * when `signal` fires, `CHIP_ERR_RUNTIME_CLOSED` when the runtime closes meanwhile.
   */
  async check(options: CheckUpdatesOptions = {}): Promise<UpdateCheckReport> {
    const ids = options.ids === undefined ? undefined : this.knownIds(options.ids);
    const signal =
      options.signal === undefined
        ? this.stopping.signal
        : AbortSignal.any([options.signal, this.stopping.signal]);
    const { report } = await this.run(ids, signal);
    this.checked(report);
    return report;
  }

  /** Stops the timer and cancels the check in flight (at shutdown). Idempotent. */
  close(): void {
    this.timer?.dispose();
    this.rolledBack?.dispose();
    if (!this.stopping.signal.aborted)
      this.stopping.abort(
        new ChipsetError(ErrorCodes.RUNTIME_CLOSED, "the runtime closed during the update check"),
      );
  }

  private schedule(): void {
    const { intervalMs } = this.deps.settings;
    if (intervalMs === 0 || this.deps.closing()) return;
    this.timer = this.deps.clock.setTimeout(() => void this.tick(), intervalMs, { background: true });
  }

  private async tick(): Promise<void> {
    const signal = this.stopping.signal;
    try {
      if (this.deps.closing()) return;
      const { findings, report } = await this.run(undefined, signal);
      this.reportFailures(report.failures);
      await this.applyAutomatic(findings, signal);
      if (!signal.aborted) this.checked(report);
    } catch (err) {
      if (!signal.aborted) this.deps.onError("the update check", err);
    } finally {
      this.schedule();
    }
  }

  /** One check: what the sources have, announced, and summarised. */
  private async run(
    ids: ReadonlySet<string> | undefined,
    signal: AbortSignal,
  ): Promise<{ findings: ModuleFindings[]; report: UpdateCheckReport }> {
    const started = this.deps.clock.now();
    const { findings, failures } = await findUpdates(this.deps, ids, signal);
    const durationMs = this.deps.clock.now() - started;
    const outdated: OutdatedModule[] = [];
    for (const found of findings) {
      const row = summarize(found, this.deps.use.get(found.id)?.range);
      if (row === undefined) continue;
      outdated.push(row);
      // The two versions a person would act on, each once: the highest within range, and the highest.
      for (const to of new Set([row.wanted, row.latest])) {
        const where = found.found.get(to);
        const key = `${found.id}@${to}`;
        if (where === undefined || this.announced.has(key)) continue;
        this.announced.add(key);
        this.deps.events.emit("update.available", {
          id: found.id,
          from: found.current,
          to,
          source: where.location,
          durationMs,
        });
      }
    }
    outdated.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { findings, report: { outdated, failures, durationMs } };
  }

  /**
   * With `updates.auto`, updates each module to the highest version the policy allows (and its
   * `use` range, if any), one at a time; overridden modules are left alone.
   */
  private async applyAutomatic(findings: readonly ModuleFindings[], signal: AbortSignal): Promise<void> {
    const policy = this.deps.settings.auto;
    if (policy === "none") return;
    for (const found of findings) {
      if (signal.aborted || this.deps.closing()) return;
      if (this.deps.overrides.has(found.id)) continue;
      const range = this.deps.use.get(found.id)?.range;
      const candidates = [...found.installed, ...found.found.keys()].filter(
        (v) => range === undefined || semver.satisfies(v, range),
      );
      const to = pickUpdate(found.current, candidates, policy);
      const key = `${found.id}@${to}`;
      if (to === undefined || this.attempted.has(key)) continue;
      this.attempted.add(key);
      const where = found.found.get(to);
      const from = where?.kind === "directory" ? { from: where.location } : {};
      try {
        await this.deps.update(found.id, { version: to, ...from, signal });
      } catch (err) {
        // `update.failed` (or `update.rolled-back`) has said why; the version is not tried again.
        this.deps.logger.warn(
          { module: found.id, to, err },
          `the automatic update of ${found.id} to ${to} did not happen; update it by hand once the cause is fixed`,
        );
      }
    }
  }

  /** Reports each failing source once, until it answers again. */
  private reportFailures(failures: readonly UpdateCheckFailure[]): void {
    const now = new Set<string>();
    for (const { id, source, error } of failures) {
      const key = `${id ?? ""} ${source}`;
      now.add(key);
      const text = `${error.code} ${error.message}`;
      if (this.failing.get(key) === text) continue;
      this.failing.set(key, text);
      this.deps.onError(`the update check of ${id === null ? source : `${id} at ${source}`}`, error);
    }
    for (const key of this.failing.keys()) if (!now.has(key)) this.failing.delete(key);
  }

  private checked(report: UpdateCheckReport): void {
    this.deps.events.emit("update.checked", {
      durationMs: report.durationMs,
      outdated: report.outdated.map((m) => m.id),
      failures: report.failures.length,
    });
  }

  private knownIds(ids: readonly string[]): Set<string> {
    const installed = new Set(this.deps.installed().map((r) => r.id));
    for (const id of ids)
      if (!installed.has(id))
        throw new ChipsetError(
          ErrorCodes.MODULE_NOT_FOUND,
          `module ${id} is not installed, so it has no update to look for; see \`chipset ls\``,
          { module: id, details: { id } },
        );
    return new Set(ids);
  }
}
