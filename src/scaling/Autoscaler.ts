import type { Clock } from "../common/Clock.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { AutoscaleMetric, AutoscaleSettings } from "../vocabulary/dispatch.js";
import { resolveAutoscale, type ResolvedAutoscale, type ResolvedRules } from "./autoscaleDefaults.js";
import { recommendFromMetric } from "./metricRecommendation.js";
import { scaleDownLimit, scaleUpLimit, type PastChange } from "./scaleLimits.js";
import { duration, metricText, policyText, replicas } from "./scalingText.js";

/** Who changed the replica count: the autoscaler's own decision, or a person (`chipset scale`, the API). */
export type ScaleSource = "autoscale" | "manual";

/** A change of the replica count, told to {@link Autoscaler.record} when it is made. */
export interface ScaleChange {
  readonly from: number;
  readonly to: number;
  /** Default `autoscale`. */
  readonly source?: ScaleSource;
}

/** What kept a decision from the metric's recommendation. */
export type ScalingLimit = "min" | "max" | "stabilization" | "rate" | "disabled" | "cooldown" | "flap-budget";

/** One round's decision; `reason` is what the `replicas.scaled` event says. */
export interface ScalingDecision {
  /** The replica count to run: `current` when nothing changes. */
  readonly desired: number;
  readonly current: number;
  /** What the metric alone asked for (Kubernetes' unstabilised recommendation). */
  readonly recommended: number;
  /** Human words: the metric against its target, what limited the change, and `2 → 3` or `stays at 2`. */
  readonly reason: string;
  readonly metric: AutoscaleMetric;
  /** The mean reading over the ready replicas that had one; undefined when none had. */
  readonly value: number | undefined;
  /** `value / target`; undefined when no replica had a reading. */
  readonly ratio: number | undefined;
  /** Set when `desired` differs from `recommended` (or the change was held) because of this. */
  readonly limitedBy?: ScalingLimit;
}

/** {@link Autoscaler}'s constructor options. */
export interface AutoscalerOptions {
  /** The fewest replicas, at least 1 (manifest `replicas.min`). */
  min: number;
  /** The most replicas, at least `min` (manifest `replicas.max`, resolved). */
  max: number;
  settings: Readonly<AutoscaleSettings>;
  clock: Clock;
  /** The module, for error messages. */
  module?: string;
}

interface Recorded extends PastChange {
  readonly source: ScaleSource;
  /** Whether it went the other way from the autoscaler's change before it. */
  readonly reversal: boolean;
}

/**
 * Kubernetes HPA's autoscaling for one module's replicas, plus cooldowns and a flap budget
 * (docs/dispatch.md, "Autoscaling"). Pure: it reads the clock and the figures it is given, and
 * does nothing; the runtime scales, then tells it with {@link record}. Each sampling round:
 * `recommend(current, readings)`, in this order:
 *
 * 1. a count outside [min, max] goes straight to the bound (as HPA does);
 * 2. the metric's recommendation, ceil(ready x mean / target), unless within the tolerance;
 * 3. stabilisation: the highest recommendation of the scale-down window (the lowest of the
 *    scale-up window) bounds the move; the window starts full of the first round's count, so a
 *    freshly started module does not scale down within its first window;
 * 4. the policies of the direction, over the autoscaler's own recorded changes, then min and max;
 * 5. the direction's cooldown since the last change of any kind;
 * 6. the flap budget: a change of direction is held once the window holds that many.
 */
export class Autoscaler {
  /** The settings with every default filled in. */
  readonly settings: ResolvedAutoscale;
  readonly min: number;
  readonly max: number;
  private readonly clock: Clock;
  /** Each round's metric recommendation, newest last, pruned to the longer window. */
  private readonly recommendations: { at: number; replicas: number }[] = [];
  /** The autoscaler's own changes, newest last, pruned to the longest policy period or flap window. */
  private readonly changes: Recorded[] = [];
  private last: Recorded | undefined;
  private lastAutoscaleUp: boolean | undefined;
  private seeded = false;

  constructor(options: AutoscalerOptions) {
    const { min, max, settings, module } = options;
    const bad = (field: string, expected: string, found: unknown) =>
      new ChipsetError(
        ErrorCodes.MANIFEST_INVALID,
        `"chipset.replicas.${field}" is ${String(found)}${module ? ` for ${module}` : ""}; expected ${expected}`,
        { module, details: { field: `chipset.replicas.${field}`, expected } },
      );
    if (!Number.isInteger(min) || min < 1) throw bad("min", "a whole number of at least 1", min);
    if (!Number.isInteger(max) || max < min) throw bad("max", `a whole number of at least min (${min})`, max);
    if (!(settings.target > 0) || !Number.isFinite(settings.target))
      throw bad("autoscale.target", "a positive number", settings.target);
    this.min = min;
    this.max = max;
    this.settings = resolveAutoscale(settings);
    this.clock = options.clock;
  }

  /**
   * This round's decision. `current` is the replica count the runtime runs (or is moving to),
   * not counting replicas leaving; `readings` holds one figure per ready replica (undefined when
   * its figure is missing); the other `current - readings.length` replicas are starting. With no
   * replica running (`current` 0) nothing changes: the module was stopped, not scaled.
   */
  recommend(current: number, readings: readonly (number | undefined)[]): ScalingDecision {
    if (!Number.isInteger(current) || current < 0 || readings.length > current)
      throw new ChipsetError(
        ErrorCodes.INTERNAL,
        `The autoscaler was given ${readings.length} readings for ${current} replicas; expected a whole number of replicas and at most one reading each`,
      );
    const now = this.clock.now();
    const { metric, target, tolerance } = this.settings;
    const base = { current, metric, value: undefined, ratio: undefined, recommended: current };
    if (current === 0)
      return { ...base, desired: 0, reason: "no replica running (the module is stopped): stays at 0" };
    if (current < this.min || current > this.max) {
      const bound = current < this.min ? this.min : this.max;
      const which = current < this.min ? "min" : "max";
      const side = current < this.min ? "fewer than" : "more than";
      return {
        ...base,
        desired: bound,
        recommended: bound,
        limitedBy: which,
        reason: `${replicas(current)}, ${side} ${which} ${bound}: ${current} → ${bound}`,
      };
    }

    const rec = recommendFromMetric(current, readings, target, tolerance);
    const figures = { ...base, value: rec.mean, ratio: rec.ratio, recommended: rec.replicas };
    const said = metricText(metric, target, tolerance, rec);
    if (rec.held === "no-readings")
      return { ...figures, desired: current, reason: `${said}: stays at ${current}` };

    const limits: string[] = [];
    let limitedBy: ScalingLimit | undefined;
    let desired = this.stabilize(now, current, rec.replicas, limits);
    if (desired !== rec.replicas) limitedBy = "stabilization";
    const rated = this.rateLimit(now, current, desired, limits);
    if (rated.desired !== desired) {
      desired = rated.desired;
      limitedBy = rated.limitedBy;
    }
    if (desired !== current) {
      const held = this.cooldown(now, desired > current) ?? this.flapBudget(now, desired > current);
      if (held) {
        limits.push(held.text);
        limitedBy = held.limitedBy;
        desired = current;
      }
    }
    const asked = desired !== rec.replicas ? ` asks for ${rec.replicas}` : "";
    const outcome = desired === current ? `stays at ${current}` : `${current} → ${desired}`;
    const reason = [said + asked, ...limits].join("; ") + `: ${outcome}`;
    return limitedBy === undefined
      ? { ...figures, desired, reason }
      : { ...figures, desired, reason, limitedBy };
  }

  /**
   * Tells the autoscaler the replica count changed, when the runtime makes the change (a
   * scale-down counts from when its replicas start draining). The autoscaler's own changes
   * (`source` `autoscale`, the default) count for the policies, the cooldowns and the flap
   * budget; a manual change (`chipset scale`) counts for the cooldowns only, as in Kubernetes,
   * where a person's change is no part of the autoscaler's rate or its flapping.
   */
  record(change: ScaleChange): void {
    const { from, to } = change;
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < 0)
      throw new ChipsetError(
        ErrorCodes.INTERNAL,
        `The autoscaler was told of a change from ${from} to ${to} replicas; expected whole numbers of at least 0`,
      );
    if (from === to) return;
    const now = this.clock.now();
    const source = change.source ?? "autoscale";
    const up = to > from;
    const reversal =
      source === "autoscale" && this.lastAutoscaleUp !== undefined && this.lastAutoscaleUp !== up;
    const recorded: Recorded = { at: now, from, to, source, reversal };
    this.last = recorded;
    if (source !== "autoscale") return;
    this.lastAutoscaleUp = up;
    this.changes.push(recorded);
    const keep = Math.max(
      ...this.settings.scaleUp.policies.map((p) => p.periodMs),
      ...this.settings.scaleDown.policies.map((p) => p.periodMs),
      this.settings.flapBudget?.windowMs ?? 0,
    );
    while (this.changes.length > 0 && this.changes[0]!.at <= now - keep) this.changes.shift();
  }

  /** HPA's `stabilizeRecommendationWithBehaviors`: bounds the move by the windows' recommendations. */
  private stabilize(now: number, current: number, recommended: number, limits: string[]): number {
    const { scaleUp, scaleDown } = this.settings;
    if (!this.seeded) {
      this.seeded = true;
      this.recommendations.push({ at: now, replicas: current });
    }
    const upCutoff = now - scaleUp.stabilizationWindowMs;
    const downCutoff = now - scaleDown.stabilizationWindowMs;
    let lowest = recommended;
    let highest = recommended;
    for (const r of this.recommendations) {
      if (r.at > upCutoff) lowest = Math.min(lowest, r.replicas);
      if (r.at > downCutoff) highest = Math.max(highest, r.replicas);
    }
    this.recommendations.push({ at: now, replicas: recommended });
    const oldest = Math.min(upCutoff, downCutoff);
    while (this.recommendations.length > 0 && this.recommendations[0]!.at <= oldest)
      this.recommendations.shift();

    const stabilized = Math.min(Math.max(current, lowest), highest);
    if (stabilized === recommended) return stabilized;
    const down = recommended < current;
    const window = duration((down ? scaleDown : scaleUp).stabilizationWindowMs);
    const verb = stabilized === current ? "held" : `limited to ${stabilized}`;
    limits.push(
      down
        ? `scale-down ${verb} by the ${window} stabilisation window (highest recommendation ${highest})`
        : `scale-up ${verb} by the ${window} stabilisation window (lowest recommendation ${lowest})`,
    );
    return stabilized;
  }

  /** HPA's `convertDesiredReplicasWithBehaviorRate`: the direction's policies, then min and max. */
  private rateLimit(
    now: number,
    current: number,
    desired: number,
    limits: string[],
  ): { desired: number; limitedBy?: ScalingLimit } {
    if (desired === current) return { desired };
    const up = desired > current;
    const rules: ResolvedRules = up ? this.settings.scaleUp : this.settings.scaleDown;
    const word = up ? "scale-up" : "scale-down";
    const rate = up
      ? scaleUpLimit(current, this.changes, rules, now)
      : scaleDownLimit(current, this.changes, rules, now);
    // A policy never pushes the other way: past its allowance, the count stays until the period ends.
    const rateBound = up ? Math.max(rate.limit, current) : Math.min(rate.limit, current);
    const bound = up ? Math.min(this.max, rateBound) : Math.max(this.min, rateBound);
    if (up ? desired <= bound : desired >= bound) return { desired };
    if (rate.policy === undefined && rateBound === current) {
      limits.push(`${word} disabled (selectPolicy "disabled")`);
      return { desired: current, limitedBy: "disabled" };
    }
    // As HPA: when the bound is as tight as the policies, the bound is what limits.
    if (up ? this.max <= rateBound : this.min >= rateBound) {
      limits.push(up ? `capped at max ${this.max}` : `held at min ${this.min}`);
      return { desired: bound, limitedBy: up ? "max" : "min" };
    }
    const moved = Math.abs(current - rate.periodStart);
    const already = moved > 0 ? ` (${moved} ${up ? "added" : "removed"} within it already)` : "";
    const verb = bound === current ? "held" : `limited to ${bound}`;
    limits.push(`${word} ${verb} by the policy ${policyText(rate.policy!)}${already}`);
    return { desired: bound, limitedBy: "rate" };
  }

  /** Holds a change while the direction's cooldown since the last change runs. */
  private cooldown(now: number, up: boolean): { text: string; limitedBy: ScalingLimit } | undefined {
    const cooldownMs = (up ? this.settings.scaleUp : this.settings.scaleDown).cooldownMs;
    const last = this.last;
    if (cooldownMs <= 0 || last === undefined || now - last.at >= cooldownMs) return undefined;
    const lastWord = last.to > last.from ? "scale-up" : "scale-down";
    const manual = last.source === "manual" ? " (manual)" : "";
    return {
      text: `cooldown: last ${lastWord}${manual} ${duration(now - last.at)} ago, ${up ? "scale-up" : "scale-down"} cooldown ${duration(cooldownMs)}`,
      limitedBy: "cooldown",
    };
  }

  /** Holds a change of direction once the flap budget's window holds `changes` of them. */
  private flapBudget(now: number, up: boolean): { text: string; limitedBy: ScalingLimit } | undefined {
    const budget = this.settings.flapBudget;
    if (budget === undefined || this.lastAutoscaleUp === undefined || this.lastAutoscaleUp === up)
      return undefined;
    let reversals = 0;
    for (const c of this.changes) if (c.reversal && c.at > now - budget.windowMs) reversals++;
    if (reversals < budget.changes) return undefined;
    return {
      text: `flap budget spent: ${reversals} changes of direction in ${duration(budget.windowMs)}`,
      limitedBy: "flap-budget",
    };
  }
}
