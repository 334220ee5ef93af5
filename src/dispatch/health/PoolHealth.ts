import type { Clock, Timer } from "../../common/Clock.js";
import type { Disposable } from "../../common/Disposable.js";
import { EventSource } from "../../common/Event.js";
import type { Candidate, HealthSettings, HealthState } from "../../vocabulary/dispatch.js";
import { resolveHealthSettings, type ResolvedHealthSettings } from "./healthSettings.js";
import { OutlierDetector, type OutlierEvent } from "./OutlierDetector.js";
import { ReplicaHealth, type CallFailure, type HealthChange } from "./ReplicaHealth.js";

/** A replica's health changed (the runtime's `replica.health` event). */
export interface ReplicaHealthEvent extends HealthChange {
  readonly type: "health";
  readonly key: string;
}

/** Everything a pool's health reports: health changes, ejections and returns, refusals, panic. */
export type PoolHealthEvent = ReplicaHealthEvent | OutlierEvent;

/** One member as `runtime.engines()` shows it. */
export interface MemberHealthSnapshot {
  key: string;
  health: HealthState;
  reason: string;
  /** When it entered that state, ms since the Unix epoch. */
  since: number;
  inRotation: boolean;
  /** Configured weight x health factor (what strategies weigh by). */
  effectiveWeight: number;
  inflight: number;
  /** Mean time of its recent successful calls, ms. */
  meanMs: number | undefined;
  /** Failed share of its recent calls, 0 to 1. */
  errorRate: number | undefined;
  consecutiveFailures: number;
  /** When its ejection ends, ms since the Unix epoch; undefined when not ejected. */
  ejectedUntil: number | undefined;
  /** Envoy's ejection multiplier now (the next ejection lasts base x this + 1, capped). */
  timesEjected: number;
  /** Ejections in all since it joined. */
  ejections: number;
  draining: boolean;
}

/** A pool's health for `runtime.engines()`. */
export interface PoolHealthSnapshot {
  /** Every replica serves because too few are in rotation. */
  panic: boolean;
  inRotation: number;
  total: number;
  members: MemberHealthSnapshot[];
}

interface Member {
  readonly candidate: Candidate;
  readonly health: ReplicaHealth;
  returnTimer: Timer | undefined;
}

/**
 * The health of one pool (a module's replicas, or an engine type's instances): a
 * {@link ReplicaHealth} per member and one {@link OutlierDetector}, fed by the runtime, keeping
 * each {@link Candidate}'s `health`, `effectiveWeight` and `meanMs` in step and telling the
 * dispatcher which candidates may serve ({@link candidates}). Every change is an event
 * ({@link onEvent}). Inputs for a key that is not a member are ignored: a call may end after
 * its replica left the pool.
 *
 * Timers (background, on the injected clock): a sweep every `intervalMs` while the pool has
 * members, and one per ejection that returns the replica when its time is over.
 */
export class PoolHealth implements Disposable {
  readonly settings: ResolvedHealthSettings;
  private readonly members = new Map<string, Member>();
  private readonly detector: OutlierDetector;
  private readonly events = new EventSource<PoolHealthEvent>();
  private sweepTimer: Timer | undefined;
  private serving: Candidate[] | undefined;
  private all: Candidate[] | undefined;
  private disposed = false;

  constructor(
    settings: HealthSettings | undefined,
    private readonly clock: Clock,
  ) {
    this.settings = resolveHealthSettings(settings);
    this.detector = new OutlierDetector(
      this.settings,
      clock,
      (key) => this.members.get(key)?.health.inRotation ?? false,
    );
  }

  /** Subscribes to the pool's events; dispose the result to leave. */
  onEvent(listener: (event: PoolHealthEvent) => void): Disposable {
    return this.events.subscribe(listener);
  }

  /** Whether the pool is in panic: every replica serves. */
  get panic(): boolean {
    return this.detector.panic;
  }

  /** The member's health, for the runtime's queries. */
  member(key: string): ReplicaHealth | undefined {
    return this.members.get(key)?.health;
  }

  /** Adds a replica (as `unknown`, in rotation) and starts the sweeps with the first one. */
  add(candidate: Candidate): void {
    if (this.disposed || this.members.has(candidate.key)) return;
    const health = new ReplicaHealth(this.settings, this.clock, { poolEjects: true });
    this.members.set(candidate.key, { candidate, health, returnTimer: undefined });
    this.detector.add(candidate.key);
    this.sync(this.members.get(candidate.key)!);
    this.changed();
    this.sweepTimer ??= this.clock.setTimeout(() => this.onSweepTimer(), this.settings.intervalMs, {
      background: true,
    });
  }

  /** Removes a replica (scaled down, unloaded); the sweeps stop with the last one. */
  remove(key: string): void {
    const m = this.members.get(key);
    if (m === undefined) return;
    m.returnTimer?.dispose();
    this.members.delete(key);
    this.detector.remove(key);
    this.changed();
    if (this.members.size === 0) {
      this.sweepTimer?.dispose();
      this.sweepTimer = undefined;
    }
  }

  /**
   * The candidates the dispatcher may pick from: those in rotation, or every member while the
   * pool is in panic. The same array until something changes (no allocation per call).
   */
  candidates(): readonly Candidate[] {
    if (this.detector.panic) return (this.all ??= [...this.members.values()].map((m) => m.candidate));
    return (this.serving ??= [...this.members.values()]
      .filter((m) => m.health.inRotation)
      .map((m) => m.candidate));
  }

  /** A call to `key` answered in `durationMs`. */
  callSucceeded(key: string, durationMs: number): void {
    const m = this.members.get(key);
    if (m === undefined) return;
    this.detector.callSucceeded(key);
    this.apply(m, m.health.callSucceeded(durationMs));
  }

  /** A call to `key` failed. Crashes are left to the restart; errors and timeouts may eject it. */
  callFailed(key: string, reason: CallFailure): void {
    const m = this.members.get(key);
    if (m === undefined) return;
    this.apply(m, m.health.callFailed(reason));
    if (reason !== "crash") this.outlier(this.detector.callFailed(key));
  }

  /** A health probe of `key` answered or not (`detail`: how it failed). */
  probe(key: string, ok: boolean, detail?: string): void {
    const m = this.members.get(key);
    if (m !== undefined) this.apply(m, m.health.probe(ok, detail));
  }

  /** An application's health check `check` of `key` answered (see {@link ReplicaHealth.checked}). */
  checked(key: string, check: string, ok: boolean, detail?: string): void {
    const m = this.members.get(key);
    if (m !== undefined) this.apply(m, m.health.checked(check, ok, detail));
  }

  /** A memory sample of `key`, bytes; may ask for a drain and restart (`action` of the event). */
  memorySample(key: string, bytes: number): void {
    const m = this.members.get(key);
    if (m !== undefined) this.apply(m, m.health.memorySample(bytes));
  }

  /** `key`'s host was restarted: it recovers (an ejection still runs its course). */
  restarted(key: string): void {
    const m = this.members.get(key);
    if (m === undefined) return;
    this.detector.resetFailures(key);
    this.apply(m, m.health.restarted());
  }

  /** The interval's work now (the sweep timer calls it): returns, success-rate ejections, decay. */
  sweep(): void {
    for (const event of this.detector.sweep()) this.outlier(event);
  }

  snapshot(): PoolHealthSnapshot {
    const now = this.clock.now();
    const wall = this.clock.wallNow();
    const members: MemberHealthSnapshot[] = [];
    let inRotation = 0;
    for (const [key, { candidate, health }] of this.members) {
      if (health.inRotation) inRotation++;
      const until = health.ejectedUntil;
      const { timesEjected, total } = this.detector.ejections(key);
      members.push({
        key,
        health: health.state,
        reason: health.reason,
        since: wall - (now - health.since),
        inRotation: health.inRotation,
        effectiveWeight: candidate.effectiveWeight,
        inflight: candidate.inflight,
        meanMs: health.meanMs,
        errorRate: health.errorRate,
        consecutiveFailures: health.consecutiveFailures,
        ejectedUntil: until === undefined ? undefined : wall + (until - now),
        timesEjected,
        ejections: total,
        draining: health.draining,
      });
    }
    return { panic: this.detector.panic, inRotation, total: this.members.size, members };
  }

  /** Stops the timers and forgets the members. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.sweepTimer?.dispose();
    for (const m of this.members.values()) m.returnTimer?.dispose();
    this.members.clear();
  }

  private onSweepTimer(): void {
    this.sweepTimer = undefined;
    this.sweep();
    if (!this.disposed && this.members.size > 0)
      this.sweepTimer = this.clock.setTimeout(() => this.onSweepTimer(), this.settings.intervalMs, {
        background: true,
      });
  }

  private outlier(event: OutlierEvent | undefined): void {
    if (event === undefined) return;
    const m = event.type === "panic" ? undefined : this.members.get(event.key);
    if (event.type === "ejected" && m !== undefined) {
      m.returnTimer?.dispose();
      m.returnTimer = this.clock.setTimeout(() => this.onReturnTimer(m), event.durationMs, {
        background: true,
      });
    }
    this.events.emit(event);
    if (m === undefined) return;
    if (event.type === "ejected") this.apply(m, m.health.ejected(event.untilMs, event.reason));
    else if (event.type === "returned") {
      m.returnTimer?.dispose();
      m.returnTimer = undefined;
      this.apply(m, m.health.returned());
    }
  }

  private onReturnTimer(m: Member): void {
    m.returnTimer = undefined;
    for (const event of this.detector.returnDue()) this.outlier(event);
  }

  /** Brings the candidate in step and tells of the change, if any. */
  private apply(m: Member, change: HealthChange | undefined): void {
    this.sync(m);
    if (change === undefined) return;
    this.events.emit({ type: "health", key: m.candidate.key, ...change });
    if (change.from !== change.to) this.changed();
  }

  private sync(m: Member): void {
    const { candidate, health } = m;
    candidate.health = health.state;
    candidate.meanMs = health.meanMs;
    candidate.effectiveWeight =
      candidate.weight * (this.detector.panic ? health.panicWeightFactor : health.weightFactor);
  }

  /** Rotation changed: drop the cached lists, and re-weigh everyone when panic flips. */
  private changed(): void {
    this.serving = this.all = undefined;
    const panic = this.detector.checkPanic();
    if (panic === undefined) return;
    for (const m of this.members.values()) this.sync(m);
    this.events.emit(panic);
  }
}
