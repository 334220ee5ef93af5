/**
 * What the metric alone asks for: Kubernetes HPA's replica calculator
 * (`pkg/controller/podautoscaler/replica_calculator.go`, plain per-pod metrics), before
 * stabilisation, rate policies, bounds, cooldowns and the flap budget.
 */

/** Why the metric's recommendation is the current count although its ratio is not 1. */
export type MetricHold = "tolerance" | "no-readings" | "direction-flip";

/** The metric's recommendation for one round. */
export interface MetricRecommendation {
  /** Replicas the metric asks for (the current count when held). */
  readonly replicas: number;
  /** Mean reading over the ready replicas that have one; undefined when none has. */
  readonly mean: number | undefined;
  /** `mean / target`; undefined when no replica has a reading. */
  readonly ratio: number | undefined;
  /**
   * The ratio after counting the replicas without a reading conservatively (see
   * {@link recommendFromMetric}); undefined when none was counted.
   */
  readonly adjustedRatio: number | undefined;
  /** Ready replicas whose reading is missing or unusable (not a finite number >= 0). */
  readonly missing: number;
  /** Replicas not ready yet: `current` minus the readings given. */
  readonly unready: number;
  /** Set when the recommendation is the current count for a reason other than a ratio of 1. */
  readonly held: MetricHold | undefined;
}

// Floating point: 5.6 / 8 * 10 is 7.000000000000001, whose ceiling would be 8. A reading is
// nowhere near this precise, so a hair above a whole number counts as that number.
const EPSILON = 1e-9;

/** Whether `ratio` lies within `1 ± tolerance`, bounds included (as HPA's `<=`). */
export function withinTolerance(ratio: number, tolerance: number): boolean {
  return Math.abs(1 - ratio) <= tolerance + EPSILON;
}

/**
 * HPA's rule: desired = ceil(ready x mean / target), where `mean` is over the ready replicas
 * with a reading, and nothing changes while `mean / target` is within `1 ± tolerance`.
 *
 * `readings` has one entry per ready replica (undefined, NaN or a negative number: its reading is
 * missing); the `current - readings.length` others are not ready yet (starting). As in HPA, both
 * kinds are counted against the move: on a scale-up a replica without a reading counts as 0 and
 * so does one not ready; on a scale-down a missing reading counts as exactly the target, and a
 * replica not ready is left out. If counting them brings the ratio within tolerance or turns
 * the direction round, the count stays. No reading at all: the count stays.
 */
export function recommendFromMetric(
  current: number,
  readings: readonly (number | undefined)[],
  target: number,
  tolerance: number,
): MetricRecommendation {
  let sum = 0;
  let measured = 0;
  for (const r of readings)
    if (r !== undefined && Number.isFinite(r) && r >= 0) {
      sum += r;
      measured++;
    }
  const missing = readings.length - measured;
  const unready = Math.max(0, current - readings.length);
  const base = { missing, unready, adjustedRatio: undefined };
  if (measured === 0)
    return { ...base, replicas: current, mean: undefined, ratio: undefined, held: "no-readings" };
  const mean = sum / measured;
  const ratio = mean / target;
  const scaleUpWithUnready = unready > 0 && ratio > 1;
  if (!scaleUpWithUnready && missing === 0) {
    if (withinTolerance(ratio, tolerance))
      return { ...base, replicas: current, mean, ratio, held: "tolerance" };
    // ratio x ready = sum / target, computed from the sum to keep one rounding.
    return { ...base, replicas: ceil(sum / target), mean, ratio, held: undefined };
  }
  let filledSum = sum;
  let counted = measured;
  if (missing > 0 && ratio < 1) {
    filledSum += missing * target;
    counted += missing;
  } else if (missing > 0 && ratio > 1) counted += missing;
  if (scaleUpWithUnready) counted += unready;
  const adjustedRatio = filledSum / counted / target;
  const adjusted = { ...base, mean, ratio, adjustedRatio };
  const flipped = (ratio < 1 && adjustedRatio > 1) || (ratio > 1 && adjustedRatio < 1);
  if (withinTolerance(adjustedRatio, tolerance)) return { ...adjusted, replicas: current, held: "tolerance" };
  if (flipped) return { ...adjusted, replicas: current, held: "direction-flip" };
  const replicas = ceil(filledSum / target);
  // More replicas counted than the current ones could otherwise turn a scale-down into growth.
  if ((adjustedRatio < 1 && replicas > current) || (adjustedRatio > 1 && replicas < current))
    return { ...adjusted, replicas: current, held: "direction-flip" };
  return { ...adjusted, replicas, held: undefined };
}

function ceil(x: number): number {
  return Math.ceil(x - EPSILON);
}
