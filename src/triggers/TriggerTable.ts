import type { ChipsetManifest } from "../vocabulary/manifest.js";
import { isCronTrigger, type TriggerManifest } from "../vocabulary/triggers.js";
import type { CronTimer } from "./CronTimer.js";

/** How the last firing of a trigger went. */
export interface TriggerOutcome {
  ok: boolean;
  /** When it fired, in ms since the Unix epoch. */
  at: number;
  /** From the firing to the call's answer, in ms on the runtime's clock. */
  durationMs: number;
  /** The error's code and message when it failed. */
  code?: string;
  message?: string;
}

/** One trigger of a registered module, with what it did since the runtime opened. */
export interface TriggerEntry {
  /** `id#index`: the module and the trigger's place in its manifest's `triggers`. */
  readonly key: string;
  readonly id: string;
  /** The version whose manifest declares it (the highest registered). */
  readonly version: string;
  readonly index: number;
  readonly trigger: TriggerManifest;
  /** Firings since the runtime opened, and ticks missed (cron). */
  fired: number;
  missed: number;
  last: TriggerOutcome | undefined;
  /** The cron timer, while cron triggers run. */
  timer: CronTimer | undefined;
}

/** A registered module version with its manifest. */
export interface TriggerSource {
  id: string;
  version: string;
  manifest: ChipsetManifest;
}

/** Two modules declare the same HTTP route: `entry` is left out, `holder` keeps it. */
export interface RouteConflict {
  entry: TriggerEntry;
  holder: TriggerEntry;
}

/** `POST /hooks/ingest`: an HTTP trigger's method and declared path. */
export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

/**
 * The triggers of every registered module (the highest version of each), and the HTTP routes
 * they declare. A trigger that stays the same across a rebuild keeps its counts, last outcome
 * and timer. When two modules declare one route, the first by id keeps it.
 */
export class TriggerTable {
  private entries = new Map<string, TriggerEntry>();
  private routes = new Map<string, TriggerEntry>();
  private conflicts: RouteConflict[] = [];

  /** Rebuilds the table from `sources`; answers the entries that came and went (to start and stop their timers). */
  replace(sources: readonly TriggerSource[]): { added: TriggerEntry[]; removed: TriggerEntry[] } {
    const next = new Map<string, TriggerEntry>();
    const added: TriggerEntry[] = [];
    for (const { id, version, manifest } of [...sources].sort((a, b) => compare(a.id, b.id))) {
      (manifest.triggers ?? []).forEach((trigger, index) => {
        const key = `${id}#${index}`;
        const old = this.entries.get(key);
        if (old !== undefined && old.version === version && same(old.trigger, trigger)) next.set(key, old);
        else {
          const entry = {
            key,
            id,
            version,
            index,
            trigger,
            fired: 0,
            missed: 0,
            last: undefined,
            timer: undefined,
          };
          next.set(key, entry);
          added.push(entry);
        }
      });
    }
    const removed = [...this.entries.values()].filter((e) => next.get(e.key) !== e);
    this.entries = next;
    this.routes = new Map();
    this.conflicts = [];
    for (const entry of next.values()) {
      if (isCronTrigger(entry.trigger)) continue;
      const route = routeKey(entry.trigger.http.method, entry.trigger.http.path);
      const holder = this.routes.get(route);
      if (holder === undefined) this.routes.set(route, entry);
      else this.conflicts.push({ entry, holder });
    }
    return { added, removed };
  }

  /** Every trigger, by module id then place in the manifest. */
  all(): TriggerEntry[] {
    return [...this.entries.values()];
  }

  /** The HTTP trigger of `method` and declared `path`, if any. */
  route(method: string, path: string): TriggerEntry | undefined {
    return this.routes.get(routeKey(method, path));
  }

  /** The methods HTTP triggers answer on declared `path` (for a request with another one). */
  methodsOn(path: string): string[] {
    return [...this.routes.values()]
      .filter((e) => !isCronTrigger(e.trigger) && e.trigger.http.path === path)
      .map((e) => (e.trigger as { http: { method: string } }).http.method);
  }

  /** Routes two modules declare: the later module's trigger is not served. */
  routeConflicts(): readonly RouteConflict[] {
    return this.conflicts;
  }

  /** The first HTTP trigger of `manifest` whose route another module than `id` holds. */
  conflictFor(id: string, manifest: ChipsetManifest): { index: number; holder: TriggerEntry } | undefined {
    const triggers = manifest.triggers ?? [];
    for (let index = 0; index < triggers.length; index++) {
      const trigger = triggers[index]!;
      if (isCronTrigger(trigger)) continue;
      const holder = this.route(trigger.http.method, trigger.http.path);
      if (holder !== undefined && holder.id !== id) return { index, holder };
    }
    return undefined;
  }
}

function same(a: TriggerManifest, b: TriggerManifest): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
