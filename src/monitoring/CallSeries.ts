import type { AnomalyDetectorContext, AnomalyState } from "./AnomalyDetectorContext.js";
import { Ewma } from "./Ewma.js";
import { NORMAL, Sustain } from "./Sustain.js";

/** One (module, version, method) series; the call path holds it and feeds it on every call. */
export interface CallSeries {
  /**
   * Feeds one finished call: its latency in ms and whether it succeeded. Cheap (no allocation,
   * no lookup). Latency counts for successful calls only; failures count towards the error rate.
   */
  observe(latencyMs: number, ok: boolean): void;
}

/** The baselines and state of one call series. */
export interface CallSeriesSnapshot {
  id: string;
  version: string;
  method: string;
  /** Successful calls behind the latency baseline. */
  samples: number;
  /** Baseline latency mean and standard deviation, in ms. */
  meanMs: number;
  sdMs: number;
  /** Recent latency (about the last 20 successful calls), in ms. */
  recentMs: number;
  /** Calls behind the error-rate baseline. */
  calls: number;
  /** Baseline error rate (0..1). */
  errorRate: number;
  /** Recent error rate (about the last 40 calls, 0..1). */
  recentErrorRate: number;
  /** Attempts that failed by the module's doing (it threw, timed out or crashed) since the series began, exactly. */
  failures: number;
  /** The 99th percentile of the latest {@link RECENT_WINDOW} successful calls' latencies, in ms (nearest rank); null before the first. */
  p99Ms: number | null;
  anomalies: AnomalyState[];
}

/** How many of the latest successful calls' latencies a series keeps for its percentiles. */
export const RECENT_WINDOW = 1024;

// The baseline remembers ~1000 calls (its time constant is 500): long enough that a burst is a
// small part of it, short enough to follow a module whose load changes over minutes.
const BASELINE_ALPHA = 0.002;
// The recent figures: ~20 calls for latency; a rate needs more calls than a mean to be told from
// chance (at a 10% baseline, 40 calls put a 0.2 rise four of their standard deviations out).
const RECENT_LATENCY_ALPHA = 0.1;
const RECENT_ERROR_ALPHA = 0.05;
// A call counts as at most 4 times the recent figure: one stalled call then moves it by 30% at
// most and it takes three in a row to double it, while a real fault of 100x is still tracked
// within ~20 calls.
const STEP_CAP = 4;
// The baseline counts a call as at most 6 of its deviations (or latencyMinRiseMs) above its mean
// (Huber): a fault's first calls, before the recent figure crosses the threshold, would otherwise
// inflate the variance (they count squared) and lift the threshold out of their reach. Six, not
// latencyDeviations: tighter clipping biases the baseline low (at 1, by a third on exponential
// latencies), and even exponential latencies pass 6 deviations only once in a thousand calls.
const HUBER_DEVIATIONS = 6;
// The baseline is seeded from the first SEED_CALLS successful calls (fewer if minSamples is
// lower), each clipped at their median plus HUBER_DEVIATIONS robust deviations (MAD_TO_SD times
// the median absolute deviation, which is the standard deviation for normal latencies). A first
// call that filled a cache, or the first few before V8 compiled the method, can take hundreds of
// times the usual latency: counted as they are, they lift the mean and, squared, the variance so
// far that the threshold (mean + 4 deviations) stays above a 30x slowdown for thousands of calls.
// The median of 16 is unmoved by up to 7 such calls; later warm-up calls are clipped against the
// seeded baseline (Huber, as after warm-up), and a call that waited for the module to load or
// start is not observed at all (see Monitoring.attempted).
const SEED_CALLS = 16;
const MAD_TO_SD = 1.4826;
// Keeps the cap above zero for series whose calls measure as 0 ms (1 us, below timer resolution).
const MIN_SCALE_MS = 0.001;
// A deviation must also span as many calls as the recent figure takes to forget (1 / alpha): at
// a call a second, sustainMs alone would let the slow decay of one burst count as sustained.
const LATENCY_RUN = 10;
const ERROR_RUN = 20;

/** The {@link CallSeries} the detector hands out: baselines, recent figures and a {@link Sustain} per metric. */
export class LiveCallSeries implements CallSeries {
  retired = false;
  readonly latency = new Ewma(BASELINE_ALPHA);
  readonly recentLatency = new Ewma(RECENT_LATENCY_ALPHA);
  readonly errors = new Ewma(BASELINE_ALPHA);
  readonly recentErrors = new Ewma(RECENT_ERROR_ALPHA);
  readonly latencyState: Sustain;
  readonly errorState: Sustain;
  /** Exact count of failed attempts (the baselines are rates). */
  failures = 0;
  /**
   * The latest {@link RECENT_WINDOW} successful latencies, in ms, as a ring: a percentile wants
   * the calls themselves, and a write here costs a few ns on the call path where a sort or an
   * HDR histogram's native call would cost more; the sorting happens when someone asks.
   */
  private readonly window = new Float32Array(RECENT_WINDOW);
  /** Successful latencies written to {@link window} so far (the next slot is this modulo its size). */
  private written = 0;
  /** {@link written} and {@link failures} at the previous {@link takeInterval}. */
  private intervalMark = { written: 0, failures: 0 };
  /** The latencies the baseline will be seeded from, until it is (then undefined). */
  private seeds: number[] | undefined = [];

  constructor(
    private readonly ctx: AnomalyDetectorContext,
    readonly id: string,
    readonly version: string,
    readonly method: string,
  ) {
    this.latencyState = new Sustain(ctx.settings.sustainMs, LATENCY_RUN);
    this.errorState = new Sustain(ctx.settings.sustainMs, ERROR_RUN);
  }

  observe(latencyMs: number, ok: boolean): void {
    if (this.retired) return;
    this.observeOutcome(ok ? 0 : 1);
    if (!ok) this.failures++;
    else if (latencyMs >= 0 && latencyMs < Infinity) {
      this.window[this.written++ & (RECENT_WINDOW - 1)] = latencyMs;
      this.observeLatency(latencyMs);
    }
  }

  /** The latencies in the recent window, oldest first or not (order does not matter to a percentile). */
  recentLatencies(): Float32Array {
    return this.window.subarray(0, Math.min(this.written, RECENT_WINDOW));
  }

  /**
   * What happened since the previous call of this method (since the series began, the first
   * time): the failures, and the successful calls' latencies (the latest {@link RECENT_WINDOW}
   * when there were more). One reader only: the resource sampler, once per round.
   */
  takeInterval(): { failures: number; latencies: Float32Array } {
    const mark = this.intervalMark;
    const fresh = Math.min(this.written - mark.written, RECENT_WINDOW);
    const failures = this.failures - mark.failures;
    this.intervalMark = { written: this.written, failures: this.failures };
    if (fresh === 0) return { failures, latencies: new Float32Array(0) };
    const end = this.written & (RECENT_WINDOW - 1);
    const start = (this.written - fresh) & (RECENT_WINDOW - 1);
    if (start < end) return { failures, latencies: this.window.slice(start, end) };
    // The interval's latencies wrap round the ring (or fill it: start === end).
    const out = new Float32Array(fresh);
    out.set(this.window.subarray(start));
    out.set(this.window.subarray(0, end), RECENT_WINDOW - start);
    return { failures, latencies: out };
  }

  /** The latency `recentLatency` must exceed, in ms. */
  latencyThreshold(): number {
    const { mean, sd } = this.latency;
    const s = this.ctx.settings;
    return Math.max(mean + s.latencyDeviations * sd, mean * s.latencyRatio, mean + s.latencyMinRiseMs);
  }

  errorThreshold(): number {
    return this.errors.mean + this.ctx.settings.errorRateRise;
  }

  private observeLatency(ms: number): void {
    const base = this.latency;
    const recent = this.recentLatency;
    const seeds = this.seeds;
    if (seeds !== undefined) {
      // Counted as they are for now (the snapshot shows something while it learns), then replaced.
      seeds.push(ms);
      recent.add(ms);
      base.add(ms);
      if (seeds.length >= Math.min(SEED_CALLS, this.ctx.settings.minSamples)) this.seed(seeds);
      return;
    }
    recent.add(Math.min(ms, STEP_CAP * Math.max(recent.mean, base.mean, MIN_SCALE_MS)));
    if (base.count < this.ctx.settings.minSamples) {
      base.add(this.clip(ms));
      return;
    }
    const fire = this.latencyThreshold();
    const clear = (base.mean + fire) / 2;
    const change = this.latencyState.step(recent.mean > fire, recent.mean < clear, this.ctx.clock);
    if (change !== 0) this.report("latency", change > 0, recent.mean, base.mean, fire, base.count);
    // Frozen from the first sign of a deviation, or a long fault would become the new normal.
    if (this.latencyState.phase !== NORMAL) return;
    base.add(this.clip(ms));
  }

  /** `ms` as the baseline counts it: at most HUBER_DEVIATIONS of its deviations (or latencyMinRiseMs) above its mean. */
  private clip(ms: number): number {
    const base = this.latency;
    return Math.min(ms, base.mean + Math.max(HUBER_DEVIATIONS * base.sd, this.ctx.settings.latencyMinRiseMs));
  }

  /** Starts the baseline and the recent figure again from `seeds`, clipped by their median and MAD. */
  private seed(seeds: number[]): void {
    this.seeds = undefined;
    const median = medianOf(seeds.slice());
    const sd = MAD_TO_SD * medianOf(seeds.map((x) => Math.abs(x - median)));
    const limit = median + Math.max(HUBER_DEVIATIONS * sd, this.ctx.settings.latencyMinRiseMs);
    this.latency.reset();
    this.recentLatency.reset();
    for (const x of seeds) {
      const clipped = Math.min(x, limit);
      this.latency.add(clipped);
      this.recentLatency.add(clipped);
    }
  }

  private observeOutcome(failed: 0 | 1): void {
    const base = this.errors;
    const recent = this.recentErrors;
    recent.add(failed);
    if (base.count >= this.ctx.settings.minSamples) {
      const fire = this.errorThreshold();
      const clear = base.mean + this.ctx.settings.errorRateRise / 2;
      const change = this.errorState.step(recent.mean > fire, recent.mean < clear, this.ctx.clock);
      if (change !== 0) this.report("error-rate", change > 0, recent.mean, base.mean, fire, base.count);
    }
    if (this.errorState.phase === NORMAL) base.add(failed);
  }

  private report(
    metric: "latency" | "error-rate",
    active: boolean,
    observed: number,
    baseline: number,
    threshold: number,
    samples: number,
  ): void {
    const { id, version, method } = this;
    const unit = metric === "latency" ? "ms" : "ratio";
    this.ctx.emit({ id, version, method, metric, active, observed, baseline, threshold, unit, samples });
  }

  snapshot(): CallSeriesSnapshot {
    const anomalies: AnomalyState[] = [];
    const { latency, recentLatency, errors, recentErrors } = this;
    if (this.latencyState.active) {
      anomalies.push({
        metric: "latency",
        since: this.latencyState.firedAt,
        observed: recentLatency.mean,
        baseline: latency.mean,
        threshold: this.latencyThreshold(),
        unit: "ms",
      });
    }
    if (this.errorState.active) {
      anomalies.push({
        metric: "error-rate",
        since: this.errorState.firedAt,
        observed: recentErrors.mean,
        baseline: errors.mean,
        threshold: this.errorThreshold(),
        unit: "ratio",
      });
    }
    return {
      id: this.id,
      version: this.version,
      method: this.method,
      samples: latency.count,
      meanMs: latency.mean,
      sdMs: latency.sd,
      recentMs: recentLatency.mean,
      calls: errors.count,
      errorRate: errors.mean,
      recentErrorRate: recentErrors.mean,
      failures: this.failures,
      p99Ms: percentile([this.recentLatencies()], 99),
      anomalies,
    };
  }
}

/**
 * The `p`th percentile (nearest rank) of every value in `parts`, or null when there is none.
 * Keeps the largest `n - rank + 1` values in a min-heap rather than sorting (for a p99, 1% of
 * them): the anomaly snapshot of 100 versions with 5 full windows each took ~8 ms this way and
 * ~100 ms with a sort, on a loaded 2-core machine, and the host answers it to `chipset top` every
 * second.
 */
export function percentile(parts: readonly Float32Array[], p: number): number | null {
  const n = parts.reduce((sum, part) => sum + part.length, 0);
  if (n === 0) return null;
  const k = n - Math.max(1, Math.ceil((p / 100) * n)) + 1;
  const heap = new Float64Array(k);
  let size = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      const x = part[i]!;
      if (size < k) {
        // Sift up.
        let at = size++;
        while (at > 0) {
          const parent = (at - 1) >> 1;
          if (heap[parent]! <= x) break;
          heap[at] = heap[parent]!;
          at = parent;
        }
        heap[at] = x;
      } else if (x > heap[0]!) {
        // Replace the smallest kept, then sift down.
        let at = 0;
        for (;;) {
          const left = 2 * at + 1;
          if (left >= k) break;
          const child = left + 1 < k && heap[left + 1]! < heap[left]! ? left + 1 : left;
          if (heap[child]! >= x) break;
          heap[at] = heap[child]!;
          at = child;
        }
        heap[at] = x;
      }
    }
  }
  return heap[0]!;
}

/** The median of `values` (which it sorts in place); 0 for none. */
function medianOf(values: number[]): number {
  if (values.length === 0) return 0;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}
