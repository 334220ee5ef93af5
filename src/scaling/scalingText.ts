import type { ScalingPolicy } from "../vocabulary/dispatch.js";
import type { MetricRecommendation } from "./metricRecommendation.js";

/** The words of an autoscaling decision's reason (`replicas.scaled`): numbers, durations, policies. */

/** A duration for a reason: `250 ms`, `15 s`, `300 s`, `10 min` (whole minutes from 10 min up). */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms >= 600_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${trim(ms / 1000, 1)} s`;
}

/** A metric reading: `12.0`, `72.5`, `0.63`, `150` (three significant figures, at least one decimal below 100). */
export function reading(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 1) return x.toFixed(1);
  return x.toFixed(2);
}

/** A configured number as written: `8`, `0.7`, `1.25`. */
export function plain(x: number): string {
  return String(trim(x, 6));
}

/** A policy: `4 replicas per 15 s`, `100% per 15 s`. */
export function policyText(policy: Readonly<ScalingPolicy>): string {
  const amount =
    policy.type === "percent"
      ? `${policy.value}%`
      : `${policy.value} replica${policy.value === 1 ? "" : "s"}`;
  return `${amount} per ${duration(policy.periodMs)}`;
}

/** `1 replica`, `3 replicas`. */
export function replicas(n: number): string {
  return `${n} replica${n === 1 ? "" : "s"}`;
}

/**
 * What the metric says: `mean inflight 12.0 over target 8 (ratio 1.50)`, with how replicas
 * without a reading were counted when they changed the ratio.
 */
export function metricText(
  metric: string,
  target: number,
  tolerance: number,
  rec: MetricRecommendation,
): string {
  if (rec.mean === undefined || rec.ratio === undefined)
    return `no ${metric} reading from any ready replica yet`;
  const where =
    rec.held === "tolerance" && rec.adjustedRatio === undefined
      ? `within ${trim(tolerance * 100, 1)}% of`
      : rec.ratio > 1
        ? "over"
        : rec.ratio < 1
          ? "under"
          : "at";
  let text = `mean ${metric} ${reading(rec.mean)} ${where} target ${plain(target)} (ratio ${rec.ratio.toFixed(2)})`;
  if (rec.adjustedRatio !== undefined) {
    const counted: string[] = [];
    if (rec.missing > 0)
      counted.push(
        rec.ratio < 1
          ? `${replicas(rec.missing)} without a reading at the target`
          : `${replicas(rec.missing)} without a reading as 0`,
      );
    if (rec.unready > 0 && rec.ratio > 1) counted.push(`${replicas(rec.unready)} not ready as 0`);
    text += `; counting ${counted.join(" and ")}: ratio ${rec.adjustedRatio.toFixed(2)}`;
    if (rec.held === "tolerance") text += `, within ${trim(tolerance * 100, 1)}% of the target`;
    if (rec.held === "direction-flip") text += ", which no longer points the same way";
  }
  return text;
}

function trim(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
