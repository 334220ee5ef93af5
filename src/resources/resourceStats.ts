/** Where a resource is going over a period (see {@link TREND_THRESHOLD}). */
export type TrendDirection = "rising" | "flat" | "falling";

/**
 * A trend is `rising` (or `falling`) when the least-squares line over the period's points gains
 * (or loses) more than this fraction of the period's average between its first and last point:
 * 0.1, so memory going from 100 MB to 111 MB over the period is rising, to 105 MB flat.
 */
export const TREND_THRESHOLD = 0.1;

/** The fraction of the samples at or under the reported percentile. */
export const PERCENTILE = 0.95;

/** One resource of one module over a period, in the resource's unit (%, bytes, bytes per second). */
export interface ResourceStats {
  /** The average over every sample of the period. */
  avg: number;
  /** The highest sample. */
  peak: number;
  /**
   * The 95th percentile (nearest rank) of the samples; where only a minute's roll-up is left, its
   * average stands for its samples (so a spike shorter than a minute weighs less there).
   */
  p95: number;
  /** The least-squares slope of the period's points, in the resource's unit per hour. */
  slopePerHour: number;
  /** `rising`, `flat` or `falling`, by {@link TREND_THRESHOLD}. */
  trend: TrendDirection;
}

const HOUR_MS = 3_600_000;

/**
 * Adds up one resource of one module, point by point, into {@link ResourceStats}: a raw sample
 * weighs 1, a minute's roll-up as many as the samples it stands for, so averages are exact
 * whichever resolution the period is kept at.
 */
export class SeriesStats {
  private weight = 0;
  private sum = 0;
  private peak = Number.NEGATIVE_INFINITY;
  private readonly points: Array<{ at: number; value: number; weight: number }> = [];

  /** Adds a point at `at` (ms) with its average `value` over `weight` samples and its highest sample `max`. */
  add(at: number, value: number | null, weight: number, max: number | null): void {
    if (value === null || weight <= 0) return;
    this.weight += weight;
    this.sum += value * weight;
    this.peak = Math.max(this.peak, max ?? value, value);
    this.points.push({ at, value, weight });
  }

  /** The figures, or null when no point had a value. */
  result(): ResourceStats | null {
    if (this.weight === 0) return null;
    const avg = this.sum / this.weight;
    const slopePerHour = slope(this.points);
    return {
      avg,
      peak: this.peak,
      p95: percentile(this.points, PERCENTILE),
      slopePerHour,
      trend: direction(slopePerHour, this.points, avg),
    };
  }
}

/** The weighted nearest-rank percentile `q` (0 to 1) of `points`' values. */
export function percentile(points: ReadonlyArray<{ value: number; weight: number }>, q: number): number {
  const sorted = [...points].sort((a, b) => a.value - b.value);
  const total = sorted.reduce((n, p) => n + p.weight, 0);
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const p of sorted) {
    seen += p.weight;
    if (seen >= rank) return p.value;
  }
  return sorted[sorted.length - 1]?.value ?? 0;
}

/** The weighted least-squares slope of value over time, per hour; 0 with fewer than two instants. */
export function slope(points: ReadonlyArray<{ at: number; value: number; weight: number }>): number {
  if (points.length < 2) return 0;
  const origin = points[0]!.at;
  let w = 0;
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    const x = (p.at - origin) / HOUR_MS;
    w += p.weight;
    sx += p.weight * x;
    sy += p.weight * p.value;
  }
  const mx = sx / w;
  const my = sy / w;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    const dx = (p.at - origin) / HOUR_MS - mx;
    sxy += p.weight * dx * (p.value - my);
    sxx += p.weight * dx * dx;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

function direction(slopePerHour: number, points: ReadonlyArray<{ at: number }>, avg: number): TrendDirection {
  if (points.length < 2 || avg <= 0) return "flat";
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    first = Math.min(first, p.at);
    last = Math.max(last, p.at);
  }
  const change = (slopePerHour * (last - first)) / HOUR_MS / avg;
  return change > TREND_THRESHOLD ? "rising" : change < -TREND_THRESHOLD ? "falling" : "flat";
}
