import type { Clock, Timer } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { ResourceHistory, filterOf } from "../resources/ResourceHistory.js";
import { machineSample, type IncidentCount, type ResourceReport } from "../resources/ResourceReport.js";
import type { SystemFigures } from "../resources/SystemMeter.js";
import type { ResourceSampler } from "../resources/ResourceSampler.js";
import type { ResourcePoint } from "../resources/ResourcePoint.js";
import { SampleStore } from "../resources/SampleStore.js";
import type { Database } from "../store/Database.js";
import type { ResourceSettings } from "./RuntimeOptions.js";

/** A period in ms since the epoch, `since` included, `until` not; `until` defaults to now (history: no end). */
export interface HistoryPeriod {
  since: number;
  until?: number;
}

/** What `runtime.resources.report` covers: a period (see {@link HistoryPeriod}), and one module (`id` or `id@version`) or all. */
export interface ReportOptions extends HistoryPeriod {
  module?: string;
}

/**
 * The resource history and its reports, on the runtime's side: every round of samples goes to
 * the store (see `ResourceHistory`), `history` and `report` read it (with the restarts and errors
 * of the period), and a `report.ready` report of the last `reportEveryMs` is made on that
 * interval from start to close, when someone listens.
 */
export class ResourceReports implements Disposable {
  private readonly history: ResourceHistory;
  private readonly subscription: Disposable;
  private timer: Timer | undefined;
  private closed = false;

  constructor(
    private readonly deps: {
      clock: Clock;
      db: Database;
      sampler: ResourceSampler;
      settings: ResourceSettings;
      /** Restarts after a crash between two instants (ms since the epoch), per module version. */
      restarts: (since: number, until: number) => readonly IncidentCount[];
      /** Errors recorded between two instants, per module version. */
      errors: (since: number, until: number) => readonly IncidentCount[];
      /** The machine's figures now (`runtime.resources.system()`). */
      system: () => SystemFigures;
      /** Hands over the periodic report; `wanted` says whether anyone listens (else none is made). */
      ready: { wanted(): boolean; emit(report: ResourceReport): void };
      onError: (err: unknown) => void;
    },
  ) {
    this.history = new ResourceHistory({
      clock: deps.clock,
      store: new SampleStore(deps.db),
      retention: deps.settings,
      onError: deps.onError,
    });
    // The machine's figures go with each round, so a report shows the machine beside the modules.
    this.subscription = deps.sampler.onSamples((samples) =>
      this.history.record([...samples, machineSample(deps.system(), deps.settings.sampleMs)]),
    );
  }

  /** Starts pruning and the periodic report (none when `reportEveryMs` is 0). */
  start(): void {
    if (this.closed) return;
    this.history.start();
    if (this.deps.settings.reportEveryMs > 0 && this.timer === undefined) this.arm();
  }

  /** The history of `ref` (`id` or `id@version`) over the period: raw samples where kept, else one-minute roll-ups. */
  historyOf(ref: string, period: HistoryPeriod): ResourcePoint[] {
    // No end: every sample up to now, one taken at this very ms included.
    const { since, until } = this.period({ until: Number.MAX_SAFE_INTEGER, ...period }, "history");
    return this.history.history(ref, since, until);
  }

  /** The report over the period, of one module or all (see `ResourceReport`). */
  report(options: ReportOptions): ResourceReport {
    const { since, until } = this.period(options, "report");
    const ref = options.module;
    const filter = filterOf(ref);
    const mine = (c: IncidentCount): boolean =>
      filter.id === undefined ||
      (c.id === filter.id && (filter.version === undefined || c.version === filter.version));
    return this.history.report(ref, since, until, {
      restarts: this.deps.restarts(since, until).filter(mine),
      errors: this.deps.errors(since, until).filter(mine),
    });
  }

  /** Stops the report timer and pruning, and writes the samples not yet written (before the database closes). */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.dispose();
    this.timer = undefined;
    this.subscription.dispose();
    this.history.dispose();
  }

  private arm(): void {
    const every = this.deps.settings.reportEveryMs;
    this.timer = this.deps.clock.setTimeout(
      () => {
        if (this.closed) return;
        try {
          if (this.deps.ready.wanted()) {
            const until = this.deps.clock.wallNow();
            this.deps.ready.emit(this.report({ since: until - every, until }));
          }
        } catch (err) {
          this.deps.onError(err);
        }
        this.arm();
      },
      every,
      { background: true },
    );
  }

  /** The period with `until` defaulted to now; `CHIP_ERR_OPTIONS_INVALID` unless both are instants in order. */
  private period(period: HistoryPeriod, what: string): { since: number; until: number } {
    const since = (period as { since?: unknown }).since;
    const until = period.until ?? this.deps.clock.wallNow();
    const instant = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
    if (!instant(since) || !instant(until) || since > until)
      throw new ChipsetError(
        ErrorCodes.OPTIONS_INVALID,
        `runtime.resources.${what} takes { since, until? } in ms since the epoch with since <= until, ` +
          `got since ${String(since)} and until ${String(until)}; for the last day: { since: Date.now() - 86_400_000 }`,
        {
          details: {
            field: instant(since) ? "until" : "since",
            expected: "ms since the epoch, since <= until",
            found: { since: String(since), until: String(until) },
          },
        },
      );
    return { since, until };
  }
}
