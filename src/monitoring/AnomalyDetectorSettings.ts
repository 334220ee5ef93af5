/** Thresholds of {@link AnomalyDetector}; every field is optional in its constructor ({@link anomalyDefaults}). */
export interface AnomalySettings {
  /** Samples a series needs before it can fire (successful calls for latency, calls for error rate). Default 50. */
  minSamples: number;
  /** How many standard deviations (of single calls) above the baseline mean the recent latency must be. Default 4. */
  latencyDeviations: number;
  /** ...and at least this many times the baseline mean (so a tiny variance does not fire on noise). Default 2. */
  latencyRatio: number;
  /** ...and at least this many ms above the baseline mean (so sub-millisecond calls do not fire on jitter). Default 1. */
  latencyMinRiseMs: number;
  /** Recent error rate must exceed the baseline rate by at least this much (0..1). Default 0.2. */
  errorRateRise: number;
  /** A deviation must last this long before firing, and its absence this long before clearing, in ms. Default 1000. */
  sustainMs: number;
  /** Memory: fire when heap grows faster than this, in MB (2^20 bytes) per minute, over `memoryWindowMs`. Default 20. */
  memoryMbPerMin: number;
  /**
   * Memory: the window the trend is fitted over (least squares), in ms; both its halves must grow
   * too, so a leak fires within about one window of starting. Default 30000.
   */
  memoryWindowMs: number;
  /** Memory: the minimum fitted growth over the window before it can fire, in MB. Default 16. */
  memoryMinGrowthMb: number;
}

/** The defaults of {@link AnomalySettings}. */
export const anomalyDefaults: Readonly<AnomalySettings> = {
  // 50 calls put the baseline's standard deviation within about 10% of the truth.
  minSamples: 50,
  // Four standard deviations of a single call; the recent figure averages ~20 calls, so noise
  // alone would have to sit some 17 of its own deviations high, which it does not.
  latencyDeviations: 4,
  // Half the speed is worth a look; less than that, load alone moves latency as much.
  latencyRatio: 2,
  // Below a millisecond the figure is the event loop's and the collector's, not the module's.
  latencyMinRiseMs: 1,
  // One more call in five failing is an outage in the making, not a flaky client.
  errorRateRise: 0.2,
  // Outlasts a GC pause or a cold cache's first calls; short enough to tell within seconds.
  sustainMs: 1000,
  // A leak of 20 MB a minute is 1.2 GB an hour, past most heap limits; a cache warming up grows
  // for a while and stops, which the 30 s window and the 16 MB floor let pass.
  memoryMbPerMin: 20,
  memoryWindowMs: 30_000,
  memoryMinGrowthMb: 16,
};
