import type { Candidate, DispatchRequest } from "../../vocabulary/dispatch.js";
import type { ScoreWeights } from "./DispatchStrategy.js";
import { capabilitiesMatched, labelsMatched, typeMatches } from "./eligibility.js";

/** Mean call times below this many ms count as this (a 0 ms mean would divide by 0). */
export const FASTEST_MEAN_MS = 0.001;

/**
 * What the performance factor is measured against: the fastest mean call time among the
 * members of the request's type, and the factor given to a member without a mean yet.
 */
export interface PerformanceBaseline {
  /** The lowest mean call time in ms (at least {@link FASTEST_MEAN_MS}); undefined when none has one. */
  fastestMs: number | undefined;
  /** A member without data scores the mean of the others' factors, or 1 when none has data. */
  neutral: number;
}

/** The baseline of `candidates` for `request` (members of its type only). */
export function performanceBaseline(
  candidates: readonly Candidate[],
  request: DispatchRequest,
): PerformanceBaseline {
  let fastest = Infinity;
  let inverseSum = 0;
  let known = 0;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (!typeMatches(c, request) || c.meanMs === undefined) continue;
    const ms = Math.max(c.meanMs, FASTEST_MEAN_MS);
    if (ms < fastest) fastest = ms;
    inverseSum += 1 / ms;
    known++;
  }
  if (known === 0) return { fastestMs: undefined, neutral: 1 };
  return { fastestMs: fastest, neutral: (fastest * inverseSum) / known };
}

/** Capability match: requested capabilities it has / those requested; 1 when none is requested. */
export function capabilityFactor(c: Candidate, request: DispatchRequest): number {
  const wanted = request.capabilities?.length ?? 0;
  return wanted === 0 ? 1 : capabilitiesMatched(c, request) / wanted;
}

/** Load: (maxConcurrent - inflight) / maxConcurrent, clamped to 0..1 (a member sized for 0 calls: 1 when idle, else 0). */
export function loadFactor(c: Candidate): number {
  if (!(c.maxConcurrent > 0)) return c.inflight > 0 ? 0 : 1;
  const free = (c.maxConcurrent - c.inflight) / c.maxConcurrent;
  return free < 0 ? 0 : free > 1 ? 1 : free;
}

/** Historical performance: fastest mean / its mean (the fastest scores 1, twice as slow 0.5); no data: neutral. */
export function performanceFactor(c: Candidate, baseline: PerformanceBaseline): number {
  if (c.meanMs === undefined || baseline.fastestMs === undefined) return baseline.neutral;
  return baseline.fastestMs / Math.max(c.meanMs, FASTEST_MEAN_MS);
}

/** Affinity: requested labels it carries with the same value / those requested; 1 when none is requested. */
export function affinityFactor(c: Candidate, request: DispatchRequest, requested: number): number {
  return requested === 0 ? 1 : labelsMatched(c, request) / requested;
}

/**
 * The weighted score of a member of the request's type, 0 to 1: the sum of weight x factor over
 * the sum of the weights. The type factor is 1 (members of another type are not scored).
 */
export function scoreOf(
  c: Candidate,
  request: DispatchRequest,
  weights: ScoreWeights,
  baseline: PerformanceBaseline,
  requestedLabels: number,
): number {
  const sum = weights.type + weights.capability + weights.load + weights.performance + weights.affinity;
  return (
    (weights.type +
      weights.capability * capabilityFactor(c, request) +
      weights.load * loadFactor(c) +
      weights.performance * performanceFactor(c, baseline) +
      weights.affinity * affinityFactor(c, request, requestedLabels)) /
    sum
  );
}

/** Scores closer than this are a tie (floating-point sums of the same factors in another order). */
export const SCORE_EPSILON = 1e-9;

/** Whether a member scoring `a` beats one scoring `b`: a higher score, then fewer calls in flight, then the lower key. */
export function beats(a: Candidate, scoreA: number, b: Candidate, scoreB: number): boolean {
  if (Math.abs(scoreA - scoreB) > SCORE_EPSILON) return scoreA > scoreB;
  if (a.inflight !== b.inflight) return a.inflight < b.inflight;
  return a.key < b.key;
}
