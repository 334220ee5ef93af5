import type { CanaryOptions, CanaryReport } from "./updateReport.js";

/**
 * The calls the new version must answer in a canary before it can be judged: with fewer, one
 * call is 5% of them and the p99 is the slowest one. Fewer is inconclusive, never a pass. The
 * old version needs as many when the p99 bound is relative to its own (no `maxP99Ms`).
 */
export const CANARY_MIN_CALLS = 20;

/** The canary's defaults: 10% of the calls for a minute, at most 1% of them failing. */
export const CANARY_DEFAULTS = { percent: 10, durationMs: 60_000, maxErrorRate: 0.01 } as const;

/** Without `maxP99Ms`, the new version's p99 may be this many times the old one's... */
export const RELATIVE_P99_FACTOR = 2;
/** ...plus this many ms, so that the noise of calls that take microseconds cannot fail a canary. */
export const RELATIVE_P99_SLACK_MS = 100;

/** The canary's settings, defaults filled in (`maxP99Ms` undefined: relative to the old version). */
export interface CanarySettings {
  readonly percent: number;
  readonly durationMs: number;
  readonly maxErrorRate: number;
  readonly maxP99Ms: number | undefined;
}

/** What one version did in the window so far. */
export interface TallyView {
  readonly calls: number;
  readonly errors: number;
  /** The 99th percentile of its calls' durations, in ms (null: none). */
  readonly p99Ms: number | null;
}

/** The verdict of a canary (see {@link CanaryReport}). */
export type CanaryVerdict = CanaryReport["verdict"];

/** `options` with the defaults of the fields it omits. */
export function canarySettings(options: CanaryOptions = {}): CanarySettings {
  return {
    percent: options.percent ?? CANARY_DEFAULTS.percent,
    durationMs: options.durationMs ?? CANARY_DEFAULTS.durationMs,
    maxErrorRate: options.maxErrorRate ?? CANARY_DEFAULTS.maxErrorRate,
    maxP99Ms: options.maxP99Ms,
  };
}

/**
 * The verdict at the end of the window: inconclusive when the new version (`to`) answered too
 * few calls, or when its p99 has nothing to be compared with; failed when its error rate is
 * above `maxErrorRate` and above the old version's (`from`), or its p99 above the bound; passed
 * otherwise.
 */
export function judgeCanary(settings: CanarySettings, from: TallyView, to: TallyView): CanaryVerdict {
  if (to.calls < CANARY_MIN_CALLS) return "inconclusive";
  const failedRate = errorRateFailure(settings, from, to);
  if (failedRate !== undefined) return `failed: ${failedRate}`;
  const limit = p99Limit(settings, from);
  if (limit === undefined) return "inconclusive";
  if (to.p99Ms !== null && to.p99Ms > limit.ms) return `failed: ${p99Failure(to.p99Ms, limit.what)}`;
  return "passed";
}

/**
 * Why the canary fails already, before its window ends (undefined: not yet): once the new
 * version answered enough calls, its error rate as for {@link judgeCanary}, or more of its calls
 * over `maxP99Ms` (when given) than a p99 under it allows. Erring early on the side of the old
 * version is safe: it serves as before.
 */
export function earlyFailure(
  settings: CanarySettings,
  from: TallyView,
  to: TallyView,
  overMaxP99: number,
): string | undefined {
  if (to.calls < CANARY_MIN_CALLS) return undefined;
  const failedRate = errorRateFailure(settings, from, to);
  if (failedRate !== undefined) return failedRate;
  const { maxP99Ms } = settings;
  // The p99 of n durations (nearest rank) is above the bound when more than n - ceil(0.99 n) are.
  if (maxP99Ms !== undefined && overMaxP99 > to.calls - Math.ceil(0.99 * to.calls))
    return `${overMaxP99} of its ${to.calls} calls took longer than maxP99Ms ${maxP99Ms} ms, so its p99 is above it`;
  return undefined;
}

function errorRateFailure(settings: CanarySettings, from: TallyView, to: TallyView): string | undefined {
  const rate = to.errors / to.calls;
  const oldRate = from.calls === 0 ? 0 : from.errors / from.calls;
  if (rate <= settings.maxErrorRate || rate <= oldRate) return undefined;
  return (
    `error rate ${percent(rate)} (${to.errors} of ${to.calls} calls) is above maxErrorRate ${percent(settings.maxErrorRate)} ` +
    `and the old version's ${percent(oldRate)} (${from.errors} of ${from.calls})`
  );
}

/** The p99 bound: `maxP99Ms`, else relative to the old version's p99 when it answered enough calls. */
function p99Limit(settings: CanarySettings, from: TallyView): { ms: number; what: string } | undefined {
  if (settings.maxP99Ms !== undefined)
    return { ms: settings.maxP99Ms, what: `maxP99Ms ${settings.maxP99Ms} ms` };
  if (from.calls < CANARY_MIN_CALLS || from.p99Ms === null) return undefined;
  const ms = RELATIVE_P99_FACTOR * from.p99Ms + RELATIVE_P99_SLACK_MS;
  return {
    ms,
    what: `${round(ms)} ms (${RELATIVE_P99_FACTOR} times the old version's p99 of ${round(from.p99Ms)} ms, plus ${RELATIVE_P99_SLACK_MS} ms)`,
  };
}

function p99Failure(p99Ms: number, limit: string): string {
  return `p99 ${round(p99Ms)} ms is above ${limit}`;
}

function percent(rate: number): string {
  return `${round(rate * 100)}%`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
