/**
 * Upper bounds of `chipset_call_duration_seconds`, in seconds: 0.1 ms to 10 s, three per decade
 * (an inline call answers in microseconds, a process module's in a millisecond or so, a slow
 * one in seconds; the call timeout's default is 30 s, beyond the last bound).
 */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/**
 * The calls of one module's method, counted by outcome, and their durations as a histogram:
 * plain numbers the call path adds to (a few field updates, no label lookup); the metrics read
 * them when scraped.
 */
export class CallTally {
  /** Calls the module answered (the usual outcome, kept apart from the map). */
  ok = 0;
  /** Calls of every other outcome (`fallback`, or an error category). */
  readonly others = new Map<string, number>();
  /** Calls per duration bucket (not cumulative); the last one is above every bound. */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length + 1);
  /** Seconds of every call added up. */
  sum = 0;
  count = 0;

  constructor(
    readonly module: string,
    readonly method: string,
  ) {}

  /** One call settled with `outcome` after `seconds`. */
  record(outcome: string, seconds: number): void {
    if (outcome === "ok") this.ok++;
    else this.others.set(outcome, (this.others.get(outcome) ?? 0) + 1);
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
    this.buckets[i]!++;
    this.sum += seconds;
    this.count++;
  }

  /** Every outcome seen, with its count. */
  *outcomes(): IterableIterator<[string, number]> {
    if (this.ok > 0) yield ["ok", this.ok];
    yield* this.others;
  }
}
