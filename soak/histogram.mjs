/** Bucket bounds grow by this ratio: a percentile is known to within 5%. */
const RATIO = 1.05;
const LOG_RATIO = Math.log(RATIO);
/** 1 µs * 1.05^400 is about 300 s: longer than any call can last (calls time out). */
const BUCKETS = 400;

/**
 * Latencies in constant memory. The soak measures the heap of its own process, so its bookkeeping
 * must not grow with the number of calls; a list of every latency would.
 */
export class Histogram {
  counts = new Uint32Array(BUCKETS);
  count = 0;
  maxMs = 0;

  /** Records one latency, in ms. */
  record(ms) {
    const us = Math.max(1, ms * 1000);
    this.counts[Math.min(BUCKETS - 1, Math.floor(Math.log(us) / LOG_RATIO))]++;
    this.count++;
    this.maxMs = Math.max(this.maxMs, ms);
  }

  /** The upper bound of the bucket holding percentile `p` (0..100), in ms; NaN when empty. */
  percentile(p) {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.maxMs, RATIO ** (i + 1) / 1000);
    }
    return this.maxMs;
  }
}
