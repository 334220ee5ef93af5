/** The success-rate statistics of one interval, in percent. */
export interface SuccessRateThreshold {
  mean: number;
  /** Population standard deviation (divided by n, as Envoy does). */
  stdev: number;
  /** `mean - factor x stdev`: a replica below it is an outlier. */
  threshold: number;
}

/**
 * Envoy's success-rate outlier rule over the replicas that had enough calls: rates in percent,
 * for example {50, 100, 100, 100, 100} with factor 1.9 gives mean 90, stdev 20, threshold 52.
 */
export function successRateThreshold(rates: readonly number[], factor: number): SuccessRateThreshold {
  let sum = 0;
  for (const r of rates) sum += r;
  const mean = sum / rates.length;
  let squares = 0;
  for (const r of rates) squares += (r - mean) ** 2;
  const stdev = Math.sqrt(squares / rates.length);
  return { mean, stdev, threshold: mean - factor * stdev };
}
