import { createHistogram, type RecordableHistogram } from "node:perf_hooks";
import type { TallyView } from "./canaryVerdict.js";

/**
 * What one version did during a canary: its calls, its errors, and its calls' durations in an
 * HDR histogram (Node's own, `perf_hooks.createHistogram`): constant memory and a constant-time
 * record however many calls a long canary takes, where a list of durations would grow with them.
 */
export class CanaryTally implements TallyView {
  calls = 0;
  errors = 0;
  /** The first error recorded (the cause to show when the canary fails). */
  firstError: unknown = undefined;
  private readonly durations: RecordableHistogram = createHistogram();
  /** Calls that took longer than `overMs`. */
  over = 0;

  /** `overMs`: the duration above which a call is counted in {@link over} (Infinity: none). */
  constructor(private readonly overMs = Infinity) {}

  /** One call that took `ms` (on the runtime's clock) and failed with `error`, or succeeded. */
  record(ms: number, failed: boolean, error?: unknown): void {
    this.calls++;
    if (failed) {
      this.errors++;
      if (this.errors === 1) this.firstError = error;
    }
    if (ms > this.overMs) this.over++;
    // In µs, at least 1: the histogram records positive integers (a manual clock may not move).
    this.durations.record(Math.max(1, Math.round(ms * 1000)));
  }

  get p99Ms(): number | null {
    return this.calls === 0 ? null : this.durations.percentile(99) / 1000;
  }
}
