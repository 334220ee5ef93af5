import type { Clock } from "../../common/Clock.js";
import type { HealthState } from "../../vocabulary/dispatch.js";
import { CallWindow } from "./CallWindow.js";
import { healthWindow, type ResolvedHealthSettings } from "./healthSettings.js";
import { formatBytes, formatMs, formatShare, plural } from "./healthText.js";

/** How a call failed: the module threw (`error`), it ran past its deadline, or its host died. */
export type CallFailure = "error" | "timeout" | "crash";

/**
 * A change of a replica's health. `action: "drain-and-restart"` asks the runtime to take the
 * replica out (it already is), let its calls finish and restart it; with an action, `from` may
 * equal `to` (a replica already out of rotation is asked all the same).
 */
export interface HealthChange {
  readonly from: HealthState;
  readonly to: HealthState;
  /** Why, for a person: "5 calls in a row failed", "mean call time 230 ms over 200 ms". */
  readonly reason: string;
  readonly action?: "drain-and-restart";
}

/** Options of {@link ReplicaHealth}. */
export interface ReplicaHealthOptions {
  /**
   * A pool's outlier detector decides whether failed calls take the replica out (ejection), so
   * consecutive call failures alone do not make it `unhealthy` (default false: they do, at
   * `failureThreshold`). Failed probes and crashes always do.
   */
  poolEjects?: boolean;
}

/** A timeout halves the slow factor (down to this floor); each success gives back a tenth. */
const SLOW_FLOOR = 0.1;
const SLOW_STEP = 0.1;

/**
 * One replica's health (document 004's Healthy / Degraded / Unhealthy / Unknown / Recovering),
 * fed by calls, probes, memory samples and restarts. Each input returns the change it caused,
 * if any; the state is always derived from the facts below in one place ({@link derive}), so no
 * order of inputs can leave it inconsistent.
 *
 * - `unhealthy` (out of rotation) while any holds: its host crashed (until restarted), it is
 *   draining (memory rose: until restarted), the pool ejected it (until returned),
 *   `failureThreshold` probes in a row failed (until `successThreshold` successes in a row), or
 *   `failureThreshold` calls in a row failed (alone only, see {@link ReplicaHealthOptions}).
 * - `recovering` after a restart, until `successThreshold` calls or probes in a row succeed;
 *   it serves meanwhile at `degradedWeight` (a slow start).
 * - `degraded` when, over its last 20 calls (judged from 10 on), the mean time of the successful
 *   ones exceeds `degradedLatencyMs` or the failed share exceeds `degradedErrorRate`; it serves
 *   at `degradedWeight` and is healthy again once both are back within their limits.
 * - `unknown` until a call or probe first succeeds; then `healthy`.
 *
 * Separately, each timeout halves a slow factor (floor 0.1) that every success raises by 0.1,
 * so a replica that times out gets fewer calls at once and earns them back (AIMD, as TCP).
 */
export class ReplicaHealth {
  private current: HealthState = "unknown";
  private why = "no call or probe has succeeded yet";
  private changedAt: number;

  private everSucceeded = false;
  private recovering = false;
  private crashReason: string | undefined;
  private drainReason: string | undefined;
  private ejection: { untilMs: number; reason: string } | undefined;
  private probeDownReason: string | undefined;
  private callsDownReason: string | undefined;
  /** Per application health check (by its name): its run of verdicts, and why it took the replica out. */
  private checks: Map<string, { failures: number; passes: number; down: string | undefined }> | undefined;

  private successesInRow = 0;
  private callFailuresInRow = 0;
  private probeFailuresInRow = 0;
  private lastSuccess: "call" | "probe" = "call";
  private note: string | undefined;
  private readonly window = new CallWindow(healthWindow.calls);
  private slow = 1;

  private lastBytes: number | undefined;
  private risesInRow = 0;
  private riseFrom = 0;

  constructor(
    private readonly settings: ResolvedHealthSettings,
    private readonly clock: Clock,
    private readonly options: ReplicaHealthOptions = {},
  ) {
    this.changedAt = clock.now();
  }

  get state(): HealthState {
    return this.current;
  }

  /** Why it is in its state (the reason of the change that put it there). */
  get reason(): string {
    return this.why;
  }

  /** When it entered its state, on the clock's `now()` (ms). */
  get since(): number {
    return this.changedAt;
  }

  /** Whether the dispatcher may pick it (every state but `unhealthy`). */
  get inRotation(): boolean {
    return this.current !== "unhealthy";
  }

  /**
   * What its configured weight is multiplied by: 0 when `unhealthy`, `degradedWeight` when
   * `degraded` or `recovering`, else 1; times the slow factor.
   */
  get weightFactor(): number {
    if (this.current === "unhealthy") return 0;
    if (this.current === "degraded" || this.current === "recovering")
      return this.settings.degradedWeight * this.slow;
    return this.slow;
  }

  /** The factor it serves with when a panicking pool uses every replica (an unhealthy one as healthy). */
  get panicWeightFactor(): number {
    return this.current === "unhealthy" ? this.slow : this.weightFactor;
  }

  /** 1, or less after timeouts (halved by each, raised by 0.1 by each success; at least 0.1). */
  get slowFactor(): number {
    return this.slow;
  }

  /** Mean time in ms of the successful calls among its last 20; undefined before one. */
  get meanMs(): number | undefined {
    return this.window.meanMs;
  }

  /** Failed share of its last 20 calls, 0 to 1; undefined before its first call. */
  get errorRate(): number | undefined {
    return this.window.errorRate;
  }

  /** Calls or probes failed in a row, whichever run is longer. */
  get consecutiveFailures(): number {
    return Math.max(this.callFailuresInRow, this.probeFailuresInRow);
  }

  /** When the pool's ejection ends, on the clock's `now()` (ms); undefined when not ejected. */
  get ejectedUntil(): number | undefined {
    return this.ejection?.untilMs;
  }

  /** Whether it was told to drain (memory rose) and awaits its restart. */
  get draining(): boolean {
    return this.drainReason !== undefined;
  }

  /** A call answered in `durationMs`. */
  callSucceeded(durationMs: number): HealthChange | undefined {
    this.window.succeeded(durationMs);
    this.callFailuresInRow = 0;
    if (this.slow < 1) this.slow = Math.min(1, this.slow + SLOW_STEP);
    this.lastSuccess = "call";
    return this.succeeded();
  }

  /**
   * A call failed. A `crash` takes the replica out at once, until {@link restarted}; a `timeout`
   * also lowers its slow factor (document 004: the slow replica is down-weighted).
   */
  callFailed(reason: CallFailure): HealthChange | undefined {
    this.window.failedCall();
    this.successesInRow = 0;
    this.callFailuresInRow++;
    if (reason === "timeout") this.slow = Math.max(SLOW_FLOOR, this.slow / 2);
    if (reason === "crash") this.crashReason ??= "its host crashed; out of rotation until restarted";
    else if (
      !this.options.poolEjects &&
      this.callsDownReason === undefined &&
      this.callFailuresInRow >= this.settings.failureThreshold
    )
      this.callsDownReason = `${plural(this.callFailuresInRow, "call")} in a row failed (last: ${reason === "timeout" ? "timed out" : "threw"})`;
    return this.settle();
  }

  /** A health probe answered (`ok`) or not; `detail` says how it failed ("timed out after 1 s"). */
  probe(ok: boolean, detail?: string): HealthChange | undefined {
    if (ok) {
      this.probeFailuresInRow = 0;
      this.lastSuccess = "probe";
      return this.succeeded();
    }
    this.successesInRow = 0;
    this.probeFailuresInRow++;
    if (this.probeDownReason === undefined && this.probeFailuresInRow >= this.settings.failureThreshold)
      this.probeDownReason = `${plural(this.probeFailuresInRow, "probe")} in a row failed${detail ? ` (last: ${detail})` : ""}`;
    return this.settle();
  }

  /**
   * An application's health check `check` answered (`ok`) or not (`detail` says why). Each check
   * keeps its own run: `failureThreshold` failures in a row take the replica out, until that same
   * check passes `successThreshold` times in a row; calls, probes and other checks do not undo it.
   */
  checked(check: string, ok: boolean, detail?: string): HealthChange | undefined {
    this.checks ??= new Map();
    let run = this.checks.get(check);
    if (run === undefined) this.checks.set(check, (run = { failures: 0, passes: 0, down: undefined }));
    if (ok) {
      run.failures = 0;
      run.passes++;
      if (run.down !== undefined && run.passes >= this.settings.successThreshold) {
        run.down = undefined;
        this.note = `${check}: ${plural(run.passes, "check")} in a row passed`;
      }
      if (!this.everSucceeded) this.lastSuccess = "probe";
      this.everSucceeded = true;
      return this.settle();
    }
    run.passes = 0;
    run.failures++;
    if (run.down === undefined && run.failures >= this.settings.failureThreshold)
      run.down = `${check}: ${plural(run.failures, "check")} in a row failed${detail ? ` (last: ${detail})` : ""}`;
    return this.settle();
  }

  /** Why an application's health check holds the replica out, if one does. */
  private checkDownReason(): string | undefined {
    if (this.checks === undefined) return undefined;
    for (const run of this.checks.values()) if (run.down !== undefined) return run.down;
    return undefined;
  }

  /**
   * The replica's memory in bytes, sampled at a steady period. After `memoryRiseSamples` samples
   * in a row each above the one before, it is drained and restarted: the change carries
   * `action: "drain-and-restart"` (0 turns this off).
   */
  memorySample(bytes: number): HealthChange | undefined {
    const n = this.settings.memoryRiseSamples;
    const last = this.lastBytes;
    this.lastBytes = bytes;
    if (n === 0 || this.drainReason !== undefined) return undefined;
    if (last === undefined || bytes <= last) {
      this.risesInRow = 0;
      return undefined;
    }
    if (this.risesInRow++ === 0) this.riseFrom = last;
    if (this.risesInRow < n) return undefined;
    this.drainReason = `memory rose ${plural(this.risesInRow, "sample")} in a row (${formatBytes(this.riseFrom)} to ${formatBytes(bytes)}): drain and restart`;
    const from = this.current;
    this.settle();
    return { from, to: this.current, reason: this.drainReason, action: "drain-and-restart" };
  }

  /**
   * Its host was restarted (after a crash or a drain): it serves again as `recovering` until
   * `successThreshold` successes in a row. Forgets its calls, failures and memory trend; an
   * ejection by the pool still runs its course.
   */
  restarted(): HealthChange | undefined {
    this.crashReason = this.drainReason = this.probeDownReason = this.callsDownReason = undefined;
    this.checks = undefined;
    this.successesInRow = this.callFailuresInRow = this.probeFailuresInRow = this.risesInRow = 0;
    this.lastBytes = undefined;
    this.window.clear();
    this.slow = 1;
    this.recovering = true;
    this.note = `restarted; serving at reduced weight until ${plural(this.settings.successThreshold, "success", "successes")} in a row`;
    return this.settle();
  }

  /** The pool ejected it until `untilMs` (the clock's `now()`), for `reason`. */
  ejected(untilMs: number, reason?: string): HealthChange | undefined {
    this.ejection = { untilMs, reason: reason ?? `ejected for ${formatMs(untilMs - this.clock.now())}` };
    return this.settle();
  }

  /** The pool's ejection ended: it serves again, its failure run and window forgotten (as Envoy resets them). */
  returned(): HealthChange | undefined {
    if (this.ejection === undefined) return undefined;
    this.ejection = undefined;
    this.callFailuresInRow = 0;
    this.window.clear();
    this.note = "its ejection ended";
    return this.settle();
  }

  private succeeded(): HealthChange | undefined {
    this.everSucceeded = true;
    this.successesInRow++;
    const down = this.probeDownReason !== undefined || this.callsDownReason !== undefined;
    // Worded only when it changes something: this runs on every call.
    if (this.successesInRow >= this.settings.successThreshold && (this.recovering || down)) {
      const run = `${plural(this.successesInRow, this.lastSuccess)} in a row succeeded`;
      this.note = this.recovering ? `${run} after the restart` : run;
      this.recovering = false;
      this.probeDownReason = this.callsDownReason = undefined;
    }
    return this.settle();
  }

  /** The state the facts call for. Checked in order: the first that holds decides. */
  private derive(): HealthState {
    if (
      this.crashReason !== undefined ||
      this.drainReason !== undefined ||
      this.ejection !== undefined ||
      this.probeDownReason !== undefined ||
      this.callsDownReason !== undefined ||
      this.checkDownReason() !== undefined
    )
      return "unhealthy";
    if (this.recovering) return "recovering";
    if (this.degradedBy() !== undefined) return "degraded";
    return this.everSucceeded ? "healthy" : "unknown";
  }

  /** What makes it degraded, or undefined when its window is within limits (or too short to judge). */
  private degradedBy(): "latency" | "errors" | undefined {
    if (this.window.calls < healthWindow.minimumCalls) return undefined;
    const limit = this.settings.degradedLatencyMs;
    const mean = this.window.meanMs;
    if (limit !== undefined && mean !== undefined && mean > limit) return "latency";
    return this.window.errorRate! > this.settings.degradedErrorRate ? "errors" : undefined;
  }

  // Built only on a change: a degraded replica's every call must not cost a string.
  private degradedReason(): string {
    if (this.degradedBy() === "latency")
      return `mean call time ${formatMs(this.window.meanMs!)} over ${formatMs(this.settings.degradedLatencyMs!)}`;
    return `${formatShare(this.window.errorRate!)} of the last ${plural(this.window.calls, "call")} failed, over ${formatShare(this.settings.degradedErrorRate)}`;
  }

  private settle(): HealthChange | undefined {
    const to = this.derive();
    const from = this.current;
    const note = this.note;
    this.note = undefined;
    if (to === from) return undefined;
    this.current = to;
    this.why = this.explain(from, to, note);
    this.changedAt = this.clock.now();
    return { from, to, reason: this.why };
  }

  private explain(from: HealthState, to: HealthState, note: string | undefined): string {
    switch (to) {
      case "unhealthy":
        return (this.crashReason ??
          this.drainReason ??
          this.ejection?.reason ??
          this.probeDownReason ??
          this.callsDownReason ??
          this.checkDownReason())!;
      case "degraded":
        return this.degradedReason();
      case "recovering":
        return note ?? "restarted";
      default:
        if (note !== undefined) return note;
        if (from === "degraded") {
          const mean = this.window.meanMs;
          const rate = this.window.errorRate ?? 0;
          return `back within limits: ${mean === undefined ? "" : `mean call time ${formatMs(mean)}, `}${formatShare(rate)} of the last ${plural(this.window.calls, "call")} failed`;
        }
        return to === "healthy"
          ? `first ${this.lastSuccess} succeeded`
          : "no call or probe has succeeded yet";
    }
  }
}
