/**
 * An exponentially weighted moving mean and variance, updated in place in O(1) with no allocation
 * (West's incremental form, as in Finch, "Incremental calculation of weighted mean and variance", 2009).
 * Until `1 / alpha` samples have been seen each sample weighs `1 / count`, so the early figures are
 * plain averages instead of being dragged towards the first sample or towards zero.
 */
export class Ewma {
  /** The weighted mean, in the samples' unit; 0 before the first sample. */
  mean = 0;
  /** The weighted variance, in the samples' unit squared; 0 before the second sample. */
  variance = 0;
  /** Samples added so far. */
  count = 0;

  /** @param alpha weight of each new sample once warmed up, in (0, 1]; about `2 / alpha` samples make the figure */
  constructor(readonly alpha: number) {}

  /** The weighted standard deviation, in the samples' unit. */
  get sd(): number {
    return Math.sqrt(this.variance);
  }

  /** Forgets every sample (as new). */
  reset(): void {
    this.mean = 0;
    this.variance = 0;
    this.count = 0;
  }

  /** Adds one sample. */
  add(x: number): void {
    const n = ++this.count;
    const a = n * this.alpha < 1 ? 1 / n : this.alpha;
    const diff = x - this.mean;
    const step = a * diff;
    this.mean += step;
    this.variance = (1 - a) * (this.variance + diff * step);
  }
}
