import type { AnomalyDetectorContext, AnomalyState } from "./AnomalyDetectorContext.js";
import { Sustain } from "./Sustain.js";

/** The heap trend of one module version. */
export interface MemorySeriesSnapshot {
  id: string;
  version: string;
  /** Readings in the window. */
  readings: number;
  /** The latest reading, in MB. */
  heapMb: number;
  /** The fitted trend, in MB/min, and growth over the window, in MB; 0 until the window is half covered. */
  slopeMbPerMin: number;
  growthMb: number;
  anomalies: AnomalyState[];
}

// The trend is already fitted over the whole window; a second reading shows it was not one odd one.
const MEMORY_RUN = 2;
// A fit over less than half the window (or under six readings, three a half) is a GC sawtooth's
// edge, not a trend.
const MEMORY_MIN_COVERAGE = 0.5;
// Readings closer together than window / 256 are thinned, so a chatty host costs at most ~512 per fit.
const MEMORY_MAX_READINGS = 256;

/** The heap readings of one module version within the window, and the least-squares trend over them. */
export class MemoryTrend {
  /** Fitted trend in MB/min and growth over the readings' span in MB; valid while `fitted`. */
  slope = 0;
  growth = 0;
  /** The lesser of the trends over the older and the newer half of the readings, in MB/min. */
  halfSlope = 0;
  fitted = false;
  readonly state: Sustain;
  private readonly readings: { t: number; mb: number }[] = [];

  constructor(
    private readonly ctx: AnomalyDetectorContext,
    readonly id: string,
    readonly version: string,
  ) {
    this.state = new Sustain(ctx.settings.sustainMs, MEMORY_RUN);
  }

  get count(): number {
    return this.readings.length;
  }

  get lastMb(): number {
    return this.readings.at(-1)?.mb ?? 0;
  }

  add(mb: number): void {
    const { clock, settings } = this.ctx;
    const now = clock.now();
    const { readings } = this;
    const keep = readings.findIndex((r) => r.t >= now - settings.memoryWindowMs);
    readings.splice(0, keep === -1 ? readings.length : keep);
    const last = readings.at(-1);
    const beforeLast = readings.at(-2);
    if (last && beforeLast && now - beforeLast.t < settings.memoryWindowMs / MEMORY_MAX_READINGS) {
      last.t = now;
      last.mb = mb;
    } else {
      readings.push({ t: now, mb });
    }
    this.fit();

    const { memoryMbPerMin: rate, memoryMinGrowthMb: growth } = settings;
    // Both halves must grow too: a straight line fitted over a one-off step (a cache filling)
    // reads as a ramp, while only one half of the window holds the step.
    const above = this.fitted && this.slope >= rate && this.growth >= growth && this.halfSlope >= rate / 2;
    const below = this.fitted && (this.slope < rate / 2 || this.growth < growth / 2);
    const change = this.state.step(above, below, clock);
    if (change === 0) return;
    this.ctx.emit({
      id: this.id,
      version: this.version,
      metric: "memory",
      active: change > 0,
      observed: this.slope,
      baseline: 0,
      threshold: rate,
      unit: "MB/min",
      samples: readings.length,
      growthMb: this.growth,
    });
  }

  private fit(): void {
    const { readings } = this;
    const first = readings[0];
    const last = readings.at(-1);
    const span = first && last ? last.t - first.t : 0;
    this.fitted = readings.length >= 6 && span >= this.ctx.settings.memoryWindowMs * MEMORY_MIN_COVERAGE;
    if (!first || !this.fitted) {
      this.slope = this.growth = this.halfSlope = 0;
      return;
    }
    const perMs = slopePerMs(readings);
    this.slope = perMs * 60_000;
    this.growth = perMs * span;
    const middle = readings.findIndex((r) => r.t >= first.t + span / 2);
    const older = slopePerMs(readings.slice(0, middle));
    const newer = slopePerMs(readings.slice(middle));
    this.halfSlope = Math.min(older, newer) * 60_000;
  }

  snapshot(): MemorySeriesSnapshot {
    const anomalies: AnomalyState[] = [];
    if (this.state.active) {
      anomalies.push({
        metric: "memory",
        since: this.state.firedAt,
        observed: this.slope,
        baseline: 0,
        threshold: this.ctx.settings.memoryMbPerMin,
        unit: "MB/min",
      });
    }
    return {
      id: this.id,
      version: this.version,
      readings: this.count,
      heapMb: this.lastMb,
      slopeMbPerMin: this.slope,
      growthMb: this.growth,
      anomalies,
    };
  }
}

/** The least-squares slope of `readings`, in MB/ms (0 for fewer than two). */
function slopePerMs(readings: readonly { t: number; mb: number }[]): number {
  const first = readings[0];
  if (!first || readings.length < 2) return 0;
  // Times relative to the first reading: clock values squared would lose the fit's precision.
  let sumT = 0;
  let sumMb = 0;
  for (const r of readings) {
    sumT += r.t - first.t;
    sumMb += r.mb;
  }
  const meanT = sumT / readings.length;
  const meanMb = sumMb / readings.length;
  let sxx = 0;
  let sxy = 0;
  for (const r of readings) {
    const dt = r.t - first.t - meanT;
    sxx += dt * dt;
    sxy += dt * (r.mb - meanMb);
  }
  return sxx > 0 ? sxy / sxx : 0;
}
