import type { ScalingPolicy } from "../vocabulary/dispatch.js";
import type { ResolvedRules } from "./autoscaleDefaults.js";

/**
 * How far one direction may go now under its policies: Kubernetes HPA's
 * `calculateScaleUpLimitWithScalingRules` and `calculateScaleDownLimitWithBehaviors`.
 */

/** A change of the replica count the autoscaler made, as the policies count it. */
export interface PastChange {
  /** `clock.now()` when it was made, in ms. */
  readonly at: number;
  readonly from: number;
  readonly to: number;
}

/** The furthest a direction may go now, and the policy that allows it. */
export interface RateLimit {
  /** The highest (scale-up) or lowest (scale-down) count the policies allow now. */
  readonly limit: number;
  /** The policy whose allowance is `limit`; undefined when the direction is disabled. */
  readonly policy: Readonly<ScalingPolicy> | undefined;
  /** The count at the start of that policy's period (the current count minus what changed in it). */
  readonly periodStart: number;
}

/**
 * The most replicas the scale-up policies allow now. Each policy looks back over its own period:
 * the count it started from is the current count less what was added and plus what was removed
 * in that period; from there a `replicas` policy allows `value` more, a `percent` policy
 * `ceil(start x (1 + value / 100))` (rounded up, or 1 replica at 50% could never grow).
 * `selectPolicy` `max` takes the policy that allows most, `min` the one that allows least;
 * `disabled` allows nothing (the current count).
 */
export function scaleUpLimit(
  current: number,
  changes: readonly PastChange[],
  rules: ResolvedRules,
  now: number,
): RateLimit {
  return limit(current, changes, rules, now, "up");
}

/**
 * The fewest replicas the scale-down policies allow now: as {@link scaleUpLimit}, a `replicas`
 * policy allows `start - value` and a `percent` policy `trunc(start x (1 - value / 100))`; `max`
 * takes the policy that allows the biggest change (the lowest count), `min` the smallest.
 */
export function scaleDownLimit(
  current: number,
  changes: readonly PastChange[],
  rules: ResolvedRules,
  now: number,
): RateLimit {
  return limit(current, changes, rules, now, "down");
}

function limit(
  current: number,
  changes: readonly PastChange[],
  rules: ResolvedRules,
  now: number,
  direction: "up" | "down",
): RateLimit {
  if (rules.selectPolicy === "disabled" || rules.policies.length === 0)
    return { limit: current, policy: undefined, periodStart: current };
  // Scaling up, the biggest change is the highest count; scaling down, the lowest.
  const wantHighest = (direction === "up") === (rules.selectPolicy === "max");
  let best: RateLimit | undefined;
  for (const policy of rules.policies) {
    const periodStart = startOfPeriod(current, changes, now - policy.periodMs);
    const allowed = allowance(periodStart, policy, direction);
    if (best === undefined || (wantHighest ? allowed > best.limit : allowed < best.limit))
      best = { limit: allowed, policy, periodStart };
  }
  return best!;
}

/** The count a policy's period started from: changes strictly after `cutoff` are undone. */
function startOfPeriod(current: number, changes: readonly PastChange[], cutoff: number): number {
  let start = current;
  for (const c of changes) if (c.at > cutoff) start -= c.to - c.from;
  return start;
}

function allowance(start: number, policy: Readonly<ScalingPolicy>, direction: "up" | "down"): number {
  // Integer arithmetic before the one division: 10 x 1.1 in floating point is 11.000000000000002.
  if (policy.type === "replicas") return direction === "up" ? start + policy.value : start - policy.value;
  return direction === "up"
    ? Math.ceil((start * (100 + policy.value)) / 100)
    : Math.trunc((start * (100 - policy.value)) / 100);
}
