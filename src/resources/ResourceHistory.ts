import type { Clock, Timer } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";
import type { ResourceSample } from "../vocabulary/resources.js";
import { buildReport, MACHINE_ID, type PeriodIncidents, type ResourceReport } from "./ResourceReport.js";
import type { ResourcePoint } from "./ResourcePoint.js";
import type { ModuleFilter, Retention, SampleStore } from "./SampleStore.js";

/** How long samples wait in memory before they are written, in ms (reads write them first). */
export const FLUSH_EVERY_MS = 5_000;

/** How often old rows are deleted, in ms. */
export const PRUNE_EVERY_MS = 60_000;

/** Samples held in memory at most: past this a round is written at once. */
const MAX_PENDING = 10_000;

/** `id` (every version) or `id@version` as a filter of the store's rows. */
export function filterOf(ref: string | undefined): ModuleFilter {
  if (ref === undefined) return {};
  const at = ref.lastIndexOf("@");
  return at > 0 ? { id: ref.slice(0, at), version: ref.slice(at + 1) } : { id: ref };
}

/**
 * Keeps the samples of every round in the store, off the sampling path: rounds wait in memory
 * and are written together every {@link FLUSH_EVERY_MS} (one transaction), before every read,
 * and when the history is disposed; old rows are pruned every {@link PRUNE_EVERY_MS}. A store
 * opened read-only is only read.
 */
export class ResourceHistory implements Disposable {
  private pending: ResourceSample[] = [];
  private flushTimer: Timer | undefined;
  private pruneTimer: Timer | undefined;
  private closed = false;

  constructor(
    private readonly deps: {
      clock: Clock;
      store: SampleStore;
      retention: Retention;
      /** A write or a prune failed (the samples it held are dropped: memory stays bounded). */
      onError: (err: unknown) => void;
    },
  ) {}

  /** Takes a round of samples, to be written with the next flush. */
  record(samples: readonly ResourceSample[]): void {
    if (this.closed || samples.length === 0 || !this.deps.store.writable) return;
    for (const s of samples) this.pending.push(s);
    if (this.pending.length >= MAX_PENDING) this.flush();
    else
      this.flushTimer ??= this.deps.clock.setTimeout(() => this.flush(), FLUSH_EVERY_MS, {
        background: true,
      });
  }

  /** Prunes now and then every {@link PRUNE_EVERY_MS} (a background timer) until disposed. */
  start(): void {
    if (this.closed || this.pruneTimer !== undefined || !this.deps.store.writable) return;
    this.prune();
    const arm = (): void => {
      this.pruneTimer = this.deps.clock.setTimeout(
        () => {
          this.prune();
          if (!this.closed) arm();
        },
        PRUNE_EVERY_MS,
        { background: true },
      );
    };
    arm();
  }

  /** Writes the samples waiting in memory, in one transaction. */
  flush(): void {
    this.flushTimer?.dispose();
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    if (!this.deps.store.writable) return;
    try {
      this.deps.store.append(batch);
    } catch (err) {
      this.deps.onError(err);
    }
  }

  /** Deletes what the retention no longer keeps (see `SampleStore.prune`). */
  prune(): void {
    if (!this.deps.store.writable) return;
    try {
      this.deps.store.prune(this.deps.clock.wallNow(), this.deps.retention);
    } catch (err) {
      this.deps.onError(err);
    }
  }

  /** The history of `ref` (`id` or `id@version`; every module when undefined) between `since` and `until` (ms since the epoch). */
  history(ref: string | undefined, since: number, until: number): ResourcePoint[] {
    this.flush();
    return this.deps.store.history(filterOf(ref), since, until);
  }

  /** The report of `ref` (or every module) over [`since`, `until`], with the period's `incidents`. */
  report(ref: string | undefined, since: number, until: number, incidents: PeriodIncidents): ResourceReport {
    const points = this.history(ref, since, until);
    // A report of one module still shows the machine beside it.
    if (ref !== undefined) points.push(...this.deps.store.history({ id: MACHINE_ID }, since, until));
    return buildReport(points, incidents, { since, until, ...(ref === undefined ? {} : { module: ref }) });
  }

  /** Stops the timers and writes what waits (before the database closes). */
  dispose(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.pruneTimer?.dispose();
    this.pruneTimer = undefined;
  }
}
