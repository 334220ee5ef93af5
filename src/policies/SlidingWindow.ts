/** Buckets per window: the rate is exact to within one bucket's span (a tenth of the window). */
const BUCKETS = 10;

/**
 * Calls and failures over the last `windowMs`, in ten buckets: adding is O(1) amortised and
 * allocation-free, and the rate is read from two running sums.
 */
export class SlidingWindow {
  private readonly calls_ = new Float64Array(BUCKETS);
  private readonly failures_ = new Float64Array(BUCKETS);
  private readonly span: number;
  /** Index (in spans since the clock's origin) of the newest bucket. */
  private newest = -Infinity;
  private totalCalls = 0;
  private totalFailures = 0;

  /** @param windowMs the span of the window, in ms */
  constructor(windowMs: number) {
    this.span = Math.max(1, windowMs / BUCKETS);
  }

  /** Records one call at `now` (ms). */
  add(now: number, failed: boolean): void {
    const slot = this.advance(now);
    this.calls_[slot]!++;
    this.totalCalls++;
    if (failed) {
      this.failures_[slot]!++;
      this.totalFailures++;
    }
  }

  /** Calls within the window at `now`. */
  calls(now: number): number {
    this.advance(now);
    return this.totalCalls;
  }

  /** Failed fraction of the calls within the window at `now` (0 with no calls). */
  rate(now: number): number {
    this.advance(now);
    return this.totalCalls === 0 ? 0 : this.totalFailures / this.totalCalls;
  }

  /** Forgets every call. */
  clear(): void {
    this.calls_.fill(0);
    this.failures_.fill(0);
    this.totalCalls = 0;
    this.totalFailures = 0;
  }

  /** Moves the window to `now`, emptying the buckets that fell out; returns the bucket of `now`. */
  private advance(now: number): number {
    const index = Math.floor(now / this.span);
    if (index > this.newest) {
      const stale = Math.min(BUCKETS, index - this.newest);
      for (let i = 1; i <= stale; i++) {
        const slot = (((index - stale + i) % BUCKETS) + BUCKETS) % BUCKETS;
        this.totalCalls -= this.calls_[slot]!;
        this.totalFailures -= this.failures_[slot]!;
        this.calls_[slot] = 0;
        this.failures_[slot] = 0;
      }
      this.newest = index;
    }
    return ((index % BUCKETS) + BUCKETS) % BUCKETS;
  }
}
