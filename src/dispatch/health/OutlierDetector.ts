import type { Clock } from "../../common/Clock.js";
import type { ResolvedHealthSettings } from "./healthSettings.js";
import { formatMs, plural } from "./healthText.js";
import { successRateThreshold } from "./successRate.js";

/** Why a replica was found an outlier: Envoy's consecutive_5xx, or its success-rate rule. */
export type EjectionCause = "consecutive-failures" | "success-rate";

/** What the detector decided; each is worth an event. */
export type OutlierEvent =
  | {
      readonly type: "ejected";
      readonly key: string;
      readonly cause: EjectionCause;
      readonly reason: string;
      /** When it returns, on the clock's `now()` (ms). */
      readonly untilMs: number;
      readonly durationMs: number;
      /** Envoy's ejection multiplier after this ejection: the time is base x this, capped. */
      readonly timesEjected: number;
    }
  | { readonly type: "returned"; readonly key: string; readonly reason: string }
  | {
      readonly type: "ejection-refused";
      readonly key: string;
      readonly cause: EjectionCause;
      readonly reason: string;
    }
  | {
      readonly type: "panic";
      readonly on: boolean;
      readonly reason: string;
      readonly inRotation: number;
      readonly total: number;
    };

interface Member {
  failuresInRow: number;
  intervalOk: number;
  intervalCalls: number;
  ejectedUntil: number | undefined;
  /** Envoy's ejectTimeBackoff: grows with each ejection, shrinks by one per healthy interval. */
  multiplier: number;
  ejections: number;
  lastReturnAt: number | undefined;
}

/**
 * Envoy's outlier detection for one pool (arch_overview/upstream/outlier, checked against
 * `outlier_detection_impl.cc`):
 *
 * - `failureThreshold` failed calls in a row eject a replica at once (consecutive_5xx); the run is
 *   reset after each attempt, ejected or not.
 * - Every `intervalMs` ({@link sweep}): replicas whose time is up return; success rates of the
 *   interval are compared when at least `successRateMinimumHosts` un-ejected replicas had
 *   `successRateRequestVolume` calls, and those below mean - `successRateStdevFactor` x stdev are
 *   ejected; each un-ejected replica that returned at least an interval ago has its multiplier
 *   lowered by one.
 * - An ejection lasts `baseEjectionMs` x the multiplier (raised by one per ejection while
 *   multiplier x base < max + base), capped at `maxEjectionMs`.
 * - At most `maxEjectedPercent` of the pool is ejected, counted after the new ejection; when none
 *   is ejected one may be all the same (Envoy's `always_eject_one_host`, on here: at the default
 *   10% a pool of fewer than 10 replicas could otherwise eject none).
 * - Chipset adds: the last replica in rotation is never ejected.
 * - Panic ({@link checkPanic}, Envoy's healthy_panic_threshold): while fewer than `panicThreshold`
 *   percent of the replicas are in rotation, the pool is in panic and every replica serves.
 *
 * It decides; it owns no timers. The pool calls {@link sweep} every interval and
 * {@link returnDue} when an ejection's time is up (so a replica returns on time, not at the next
 * sweep as in Envoy). `inRotation` tells it which replicas serve for reasons of their own
 * (probes, crashes, drains): those count for panic and for "the last one".
 */
export class OutlierDetector {
  private readonly members = new Map<string, Member>();
  private ejectedCount = 0;
  private panicking = false;

  constructor(
    private readonly settings: ResolvedHealthSettings,
    private readonly clock: Clock,
    private readonly inRotation: (key: string) => boolean = () => true,
  ) {}

  /** Whether the pool is in panic (every replica serves). */
  get panic(): boolean {
    return this.panicking;
  }

  /** Replicas ejected now. */
  get ejected(): number {
    return this.ejectedCount;
  }

  add(key: string): void {
    if (this.members.has(key)) return;
    this.members.set(key, {
      failuresInRow: 0,
      intervalOk: 0,
      intervalCalls: 0,
      ejectedUntil: undefined,
      multiplier: 0,
      ejections: 0,
      lastReturnAt: undefined,
    });
  }

  remove(key: string): void {
    const m = this.members.get(key);
    if (m === undefined) return;
    if (m.ejectedUntil !== undefined) this.ejectedCount--;
    this.members.delete(key);
  }

  /** When `key`'s ejection ends (the clock's `now()`), or undefined. */
  ejectedUntil(key: string): number | undefined {
    return this.members.get(key)?.ejectedUntil;
  }

  /** `key`'s ejection multiplier now (0: not ejected lately) and its ejections in all. */
  ejections(key: string): { timesEjected: number; total: number } {
    const m = this.members.get(key);
    return { timesEjected: m?.multiplier ?? 0, total: m?.ejections ?? 0 };
  }

  callSucceeded(key: string): void {
    const m = this.members.get(key);
    if (m === undefined) return;
    m.failuresInRow = 0;
    m.intervalOk++;
    m.intervalCalls++;
  }

  /** A call to `key` failed; at `failureThreshold` in a row it is ejected if the pool allows. */
  callFailed(key: string): OutlierEvent | undefined {
    const m = this.members.get(key);
    if (m === undefined) return undefined;
    m.intervalCalls++;
    if (m.ejectedUntil !== undefined || ++m.failuresInRow < this.settings.failureThreshold) return undefined;
    const why = `${plural(m.failuresInRow, "call")} in a row failed`;
    m.failuresInRow = 0;
    return this.eject(key, m, "consecutive-failures", why);
  }

  /** Forgets `key`'s failure run (its host restarted: a new process starts clean). */
  resetFailures(key: string): void {
    const m = this.members.get(key);
    if (m !== undefined) m.failuresInRow = 0;
  }

  /** Returns every replica whose ejection time is up. */
  returnDue(): OutlierEvent[] {
    const now = this.clock.now();
    const events: OutlierEvent[] = [];
    for (const [key, m] of this.members) {
      if (m.ejectedUntil === undefined || m.ejectedUntil > now) continue;
      m.ejectedUntil = undefined;
      m.failuresInRow = 0;
      m.lastReturnAt = now;
      this.ejectedCount--;
      events.push({ type: "returned", key, reason: "its ejection time is over" });
    }
    return events;
  }

  /** The interval's work, in Envoy's order: returns, success-rate ejections, multiplier decay. */
  sweep(): OutlierEvent[] {
    const events = this.returnDue();
    this.successRateEjections(events);
    const now = this.clock.now();
    for (const m of this.members.values()) {
      m.intervalOk = m.intervalCalls = 0;
      if (
        m.ejectedUntil === undefined &&
        m.multiplier > 0 &&
        m.lastReturnAt !== undefined &&
        now - m.lastReturnAt >= this.settings.intervalMs
      )
        m.multiplier--;
    }
    return events;
  }

  /** Panic on or off, when it changed: fewer than `panicThreshold` percent of two or more replicas in rotation. */
  checkPanic(): OutlierEvent | undefined {
    const total = this.members.size;
    let serving = 0;
    for (const [key, m] of this.members) if (m.ejectedUntil === undefined && this.inRotation(key)) serving++;
    // One replica has no others to share its load: out of rotation, it is out.
    const on = total > 1 && (serving * 100) / total < this.settings.panicThreshold;
    if (on === this.panicking) return undefined;
    this.panicking = on;
    const share = `${serving} of ${plural(total, "replica")} in rotation`;
    return {
      type: "panic",
      on,
      inRotation: serving,
      total,
      reason: on
        ? `only ${share}, under ${this.settings.panicThreshold}%: every replica serves`
        : `${share} again: only those serve`,
    };
  }

  private successRateEjections(events: OutlierEvent[]): void {
    const { successRateMinimumHosts: minHosts, successRateRequestVolume: volume } = this.settings;
    if (this.members.size < minHosts) return;
    const keys: string[] = [];
    const rates: number[] = [];
    for (const [key, m] of this.members)
      if (m.ejectedUntil === undefined && m.intervalCalls >= volume) {
        keys.push(key);
        rates.push((m.intervalOk * 100) / m.intervalCalls);
      }
    if (keys.length === 0 || keys.length < minHosts) return;
    const { mean, stdev, threshold } = successRateThreshold(rates, this.settings.successRateStdevFactor);
    for (let i = 0; i < keys.length; i++) {
      const rate = rates[i]!;
      if (rate >= threshold) continue;
      const why = `success rate ${pct(rate)} under the pool's ${pct(threshold)} (mean ${pct(mean)} - ${this.settings.successRateStdevFactor} x stdev ${pct(stdev)})`;
      events.push(this.eject(keys[i]!, this.members.get(keys[i]!)!, "success-rate", why));
    }
  }

  private eject(key: string, m: Member, cause: EjectionCause, why: string): OutlierEvent {
    const refusal = this.refusal(key);
    if (refusal !== undefined)
      return { type: "ejection-refused", key, cause, reason: `${why}; not ejected: ${refusal}` };
    const { baseEjectionMs: base, maxEjectionMs: max } = this.settings;
    if (m.multiplier * base < max + base) m.multiplier++;
    const durationMs = Math.min(base * m.multiplier, max);
    m.ejectedUntil = this.clock.now() + durationMs;
    m.ejections++;
    this.ejectedCount++;
    const times =
      m.multiplier === 1
        ? ""
        : ` (${m.multiplier} x ${formatMs(base)}${base * m.multiplier > max ? `, capped` : ""})`;
    return {
      type: "ejected",
      key,
      cause,
      reason: `${why}: ejected for ${formatMs(durationMs)}${times}`,
      untilMs: m.ejectedUntil,
      durationMs,
      timesEjected: m.multiplier,
    };
  }

  /** Why the pool cannot spare `key` now, or undefined when it can. */
  private refusal(key: string): string | undefined {
    let others = 0;
    for (const [k, m] of this.members)
      if (k !== key && m.ejectedUntil === undefined && this.inRotation(k)) others++;
    if (others === 0) return "it is the last replica in rotation";
    const total = this.members.size;
    const after = this.ejectedCount + 1;
    if (this.ejectedCount > 0 && (after * 100) / total > this.settings.maxEjectedPercent)
      return `${after} of ${plural(total, "replica")} would be ejected, over the ${this.settings.maxEjectedPercent}% allowed`;
    return undefined;
  }
}

function pct(n: number): string {
  return `${Math.round(n * 10) / 10}%`;
}
