import type { Clock } from "../common/Clock.js";
import type { Emitter } from "../common/Emitter.js";
import { machineTimeZone } from "../common/timeZone.js";
import { ChipsetError, ErrorCodes, messageOf } from "../errors/index.js";
import type { SchemaProblem } from "../registry/describeSchemaErrors.js";
import { manifestError } from "../registry/validateManifest.js";
import { CronSchedule } from "../triggers/CronSchedule.js";
import { CronTimer } from "../triggers/CronTimer.js";
import type { TriggerRef } from "../triggers/TriggerEvents.js";
import {
  TriggerTable,
  routeKey,
  type TriggerEntry,
  type TriggerOutcome,
  type TriggerSource,
} from "../triggers/TriggerTable.js";
import type { PackageManifest } from "../vocabulary/manifest.js";
import { HTTP_TRIGGER_PREFIX, isCronTrigger } from "../vocabulary/triggers.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";

export type { TriggerOutcome } from "../triggers/TriggerTable.js";

/** One trigger as tools see it (`runtime.triggers.list()`, `GET /v1/triggers`, `chipset triggers`). */
export interface TriggerStatus {
  id: string;
  /** The version whose manifest declares it (the highest registered). */
  version: string;
  /** Its index in the manifest's `triggers`. */
  trigger: number;
  kind: "cron" | "http";
  /** The api method it calls. */
  call: string;
  /** Cron: the expression, the time zone it is read in, and the next tick (ISO 8601; null when none is left). */
  cron?: string;
  timeZone?: string;
  nextRun?: string | null;
  /** HTTP: the method, and the path the host serves it at (`/t/hooks/ingest`). */
  method?: string;
  path?: string;
  /** Firings since the runtime opened, and cron ticks missed. */
  fired: number;
  missed: number;
  /** How the last firing went; null when it has not fired since the runtime opened. */
  last: TriggerOutcome | null;
  /** HTTP: why it is not served (another module declared the same route first). */
  conflict?: string;
}

/** What the triggers need from the runtime. */
export interface TriggersDeps {
  clock: Clock;
  events: Emitter<RuntimeEvents>;
  /** The IANA time zone cron expressions are read in; undefined: the machine's. */
  timeZone: string | undefined;
  /** The highest registered version of every module that declares triggers. */
  sources(): TriggerSource[];
  /** Calls a module through the normal call path (loads and starts it on demand, policies apply). */
  call(id: string, method: string, args: readonly unknown[], signal?: AbortSignal): Promise<unknown>;
  onError(context: string, error: unknown): void;
}

/**
 * The triggers of every registered module: cron schedules, which fire while the runtime is
 * started (`start()` to `stop()`), and HTTP routes, which the host serves under `/t`. Each firing
 * calls the module through the call path, emits `trigger.fired` and `trigger.completed`, and is
 * kept as the trigger's last outcome; a missed cron tick emits `trigger.missed`. The table follows
 * registrations and removals.
 */
export class Triggers {
  private readonly table = new TriggerTable();
  private stale = true;
  private running = false;
  private readonly schedules = new Map<string, CronSchedule>();
  private zone: string | undefined;

  constructor(private readonly deps: TriggersDeps) {}

  /** A module was registered or removed: the table is rebuilt (now when cron triggers run, else on next use). */
  changed(): void {
    this.stale = true;
    if (this.running) this.refresh();
  }

  /** Starts the cron triggers (the runtime started). Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.refresh();
    for (const entry of this.table.all()) this.begin(entry);
    for (const { entry, holder } of this.table.routeConflicts())
      this.deps.onError(`serving the HTTP triggers of ${entry.id}`, conflictError(entry, holder));
  }

  /** Stops the cron triggers (the runtime is closing); HTTP triggers answer as long as the call path does. */
  stop(): void {
    this.running = false;
    for (const entry of this.table.all()) this.end(entry);
  }

  /** Every trigger of every registered module, with its next run (cron) and last outcome. */
  list(): TriggerStatus[] {
    this.fresh();
    const conflicts = new Map(this.table.routeConflicts().map((c) => [c.entry, c.holder]));
    return this.table.all().map((entry) => {
      const { id, version, index, trigger, fired, missed, last } = entry;
      const base = { id, version, trigger: index, call: trigger.call, fired, missed, last: last ?? null };
      if (isCronTrigger(trigger)) {
        const next = this.nextRun(entry);
        return {
          ...base,
          kind: "cron" as const,
          cron: trigger.cron,
          timeZone: this.timeZone,
          nextRun: next === undefined ? null : new Date(next).toISOString(),
        };
      }
      const holder = conflicts.get(entry);
      return {
        ...base,
        kind: "http" as const,
        method: trigger.http.method,
        path: `${HTTP_TRIGGER_PREFIX}${trigger.http.path}`,
        ...(holder === undefined ? {} : { conflict: conflictError(entry, holder).message }),
      };
    });
  }

  /**
   * Answers a request to an HTTP trigger: `path` is the declared one (without `/t`), `arg` the
   * call's one argument. Resolves with the module's result; rejects with the call's error, or
   * `CHIP_ERR_TRIGGER_NOT_FOUND` when no trigger answers `method` on `path`.
   */
  callRoute(method: string, path: string, arg: unknown, signal?: AbortSignal): Promise<unknown> {
    this.fresh();
    const entry = this.table.route(method, path);
    if (entry === undefined) return Promise.reject(this.notFound(method, path));
    return this.run(entry, [arg], { route: `${method.toUpperCase()} ${HTTP_TRIGGER_PREFIX}${path}` }, signal);
  }

  /**
   * Refuses `pkg` (`CHIP_ERR_MANIFEST_INVALID`, nothing written) when one of its HTTP triggers
   * takes a route another module serves, or, given its `api`, when a trigger calls a method the
   * api does not have.
   */
  check(pkg: PackageManifest, file: string, api?: object): void {
    const triggers = pkg.chipset.triggers ?? [];
    if (triggers.length === 0) return; // most modules: no need to read what else is registered
    const problems: SchemaProblem[] = [];
    // Read afresh: a scan registers several modules before it announces them.
    if (triggers.some((t) => !isCronTrigger(t))) this.refresh();
    const conflict = this.table.conflictFor(pkg.name, pkg.chipset);
    if (conflict !== undefined) {
      const { index, holder } = conflict;
      const field = `chipset.triggers.${index}.http`;
      const expected = "a method and path no other module's HTTP trigger declares";
      const trigger = holder.trigger as { http: { method: string; path: string } };
      problems.push({
        field,
        expected,
        found: routeKey(trigger.http.method, trigger.http.path),
        message:
          `"${field}" declares ${routeKey(trigger.http.method, trigger.http.path)}, which ${holder.id}@${holder.version} ` +
          `serves already (its chipset.triggers.${holder.index}); choose another path, or remove ${holder.id} first`,
      });
    }
    if (api !== undefined) {
      triggers.forEach((trigger, index) => {
        if (typeof (api as Record<string, unknown>)[trigger.call] === "function") return;
        const field = `chipset.triggers.${index}.call`;
        const methods = Object.keys(api).filter(
          (k) => typeof (api as Record<string, unknown>)[k] === "function",
        );
        const expected = `a method of the module's api (${methods.length === 0 ? "it has none" : methods.join(", ")})`;
        problems.push({
          field,
          expected,
          found: JSON.stringify(trigger.call),
          message: `"${field}" names "${trigger.call}", which is not a method of the module's api; expected ${expected}`,
        });
      });
    }
    if (problems.length > 0) throw manifestError(file, problems, pkg.name);
  }

  private fresh(): void {
    if (this.stale) this.refresh();
  }

  private refresh(): void {
    this.stale = false;
    let sources: TriggerSource[];
    try {
      sources = this.deps.sources();
    } catch (err) {
      this.stale = true;
      return this.deps.onError("reading the modules' triggers", err);
    }
    const { added, removed } = this.table.replace(sources);
    for (const entry of removed) this.end(entry);
    if (this.running) for (const entry of added) this.begin(entry);
  }

  /** Starts the cron timer of `entry` (a cron trigger). */
  private begin(entry: TriggerEntry): void {
    const { trigger } = entry;
    if (!isCronTrigger(trigger) || entry.timer !== undefined) return;
    const ref = refOf(entry);
    entry.timer = new CronTimer(this.deps.clock, this.schedule(trigger.cron), {
      fire: (tick) => {
        // The outcome is recorded and the error reported by the call path: nobody awaits a tick.
        this.run(entry, [{ scheduledAt: new Date(tick).toISOString() }], {
          tick: new Date(tick).toISOString(),
        }).catch(() => undefined);
      },
      missed: (first, last, count) => {
        entry.missed += count;
        this.deps.events.emit("trigger.missed", {
          ...ref,
          first: new Date(first).toISOString(),
          last: new Date(last).toISOString(),
          count,
        });
      },
    });
    entry.timer.start();
  }

  private end(entry: TriggerEntry): void {
    entry.timer?.stop();
    entry.timer = undefined;
  }

  private nextRun(entry: TriggerEntry): number | undefined {
    if (entry.timer !== undefined) return entry.timer.nextRun;
    const { trigger } = entry;
    return isCronTrigger(trigger) ? this.schedule(trigger.cron).next(this.deps.clock.wallNow()) : undefined;
  }

  /** The time zone cron expressions are read in: the configured one, else the machine's. */
  private get timeZone(): string {
    return (this.zone ??= this.deps.timeZone ?? machineTimeZone());
  }

  /** The schedule of `expression` in the runtime's time zone (one per expression). */
  private schedule(expression: string): CronSchedule {
    let schedule = this.schedules.get(expression);
    if (schedule === undefined)
      this.schedules.set(expression, (schedule = new CronSchedule(expression, this.timeZone)));
    return schedule;
  }

  /** One firing: the call, its events, and its outcome kept on `entry`. */
  private async run(
    entry: TriggerEntry,
    args: readonly unknown[],
    detail: { tick?: string; route?: string },
    signal?: AbortSignal,
  ): Promise<unknown> {
    const { clock, events } = this.deps;
    const ref = refOf(entry);
    const at = clock.wallNow();
    const began = clock.now();
    entry.fired++;
    events.emit("trigger.fired", { ...ref, ...detail });
    try {
      const result = await this.deps.call(entry.id, entry.trigger.call, args, signal);
      const durationMs = clock.now() - began;
      entry.last = { ok: true, at, durationMs };
      events.emit("trigger.completed", { ...ref, ok: true, durationMs });
      return result;
    } catch (err) {
      const durationMs = clock.now() - began;
      const error =
        err instanceof ChipsetError
          ? err
          : new ChipsetError(ErrorCodes.INTERNAL, `trigger ${entry.key} failed: ${messageOf(err)}`, {
              cause: err,
            });
      entry.last = { ok: false, at, durationMs, code: error.code, message: error.message };
      events.emit("trigger.completed", { ...ref, ok: false, durationMs, error });
      throw error;
    }
  }

  private notFound(method: string, path: string): ChipsetError {
    const methods = this.table.methodsOn(path);
    const served = `${HTTP_TRIGGER_PREFIX}${path}`;
    const hint =
      methods.length > 0
        ? `; ${served} answers ${methods.join(", ")}`
        : "; `chipset triggers` (or GET /v1/triggers) lists the HTTP triggers";
    return new ChipsetError(
      ErrorCodes.TRIGGER_NOT_FOUND,
      `no HTTP trigger answers ${method.toUpperCase()} ${served}${hint}`,
      { details: { method: method.toUpperCase(), path: served, methods } },
    );
  }
}

function refOf(entry: TriggerEntry): TriggerRef {
  return {
    id: entry.id,
    version: entry.version,
    trigger: entry.index,
    kind: isCronTrigger(entry.trigger) ? "cron" : "http",
    call: entry.trigger.call,
  };
}

/** `CHIP_ERR_MANIFEST_INVALID`: `entry` declares the route `holder` serves (found when the runtime starts). */
function conflictError(entry: TriggerEntry, holder: TriggerEntry): ChipsetError {
  const field = `chipset.triggers.${entry.index}.http`;
  const { method, path } = (entry.trigger as { http: { method: string; path: string } }).http;
  return new ChipsetError(
    ErrorCodes.MANIFEST_INVALID,
    `${entry.id}@${entry.version}: "${field}" declares ${method} ${path}, which ${holder.id}@${holder.version} ` +
      `serves already (its chipset.triggers.${holder.index}); this trigger is not served. Choose another path and add the module again.`,
    { module: `${entry.id}@${entry.version}`, details: { field, holder: `${holder.id}@${holder.version}` } },
  );
}
