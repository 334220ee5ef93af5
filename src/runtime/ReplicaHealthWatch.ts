import type { Clock } from "../common/Clock.js";
import type { Emitter } from "../common/Emitter.js";
import {
  PoolHealth,
  type MemberHealthSnapshot,
  type PoolHealthEvent,
  type PoolHealthSnapshot,
} from "../dispatch/health.js";
import type { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import type { CallRun } from "../policies/CallRun.js";
import type { Candidate, HealthState } from "../vocabulary/dispatch.js";
import { sampleKey, type ResourceSample } from "../vocabulary/resources.js";
import type { CallObserver } from "./CallObserver.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";

/** What the health of replicas needs from the runtime. */
export interface ReplicaHealthDeps {
  clock: Clock;
  events: Emitter<RuntimeEvents>;
  instances: InstanceReader;
  /** Drains `inst` (out of rotation, its calls finish) and restarts it in a fresh host. */
  recycle(inst: Instance): Promise<void>;
  onError(context: string, error: unknown): void;
}

/**
 * The health of every replica of replicated modules (see docs/dispatch.md, "Health states and
 * ejection"): one {@link PoolHealth} per `id@version`, fed by each attempt that reaches a replica
 * (through the call observers), by resource samples (memory rising) and by restarts; its
 * verdicts take replicas out of rotation (ejected, unhealthy), weigh them down (degraded, slow),
 * fire `replica.health` and `replica.ejection`, and drain and restart a replica whose memory keeps
 * rising.
 */
export class ReplicaHealthWatch implements CallObserver {
  /** By `id@version` (the first replica's key). */
  private readonly pools = new Map<string, PoolHealth>();

  constructor(private readonly deps: ReplicaHealthDeps) {
    deps.events.on("module.restarted", (e) => this.poolOf(e.id, e.version)?.restarted(sampleKey(e)));
    // Started again after it was out (recycled, or brought back by an operator after a crash):
    // it recovers as after the supervisor's restart; nothing else would clear its crash or drain.
    deps.events.on("module.started", (e) => {
      const pool = this.poolOf(e.id, e.version);
      const key = sampleKey(e);
      if (pool?.member(key)?.state === "unhealthy") pool.restarted(key);
    });
  }

  /** A replica joined its group (the factory made it): its pool watches its candidate. */
  joined(inst: Instance, candidate: Candidate): void {
    const first = `${inst.id}@${inst.version}`;
    let pool = this.pools.get(first);
    if (pool === undefined || inst.replica === 0) {
      pool?.dispose();
      pool = new PoolHealth(inst.manifest.replicas?.health, this.deps.clock);
      pool.onEvent((e) => this.report(inst.id, inst.version, e));
      this.pools.set(first, pool);
    }
    pool.add(candidate);
  }

  /** A replica left its group (scaled away, or its module left): its pool forgets it, and goes with the last one. */
  left(inst: Instance): void {
    const first = `${inst.id}@${inst.version}`;
    const pool = this.pools.get(first);
    if (pool === undefined) return;
    pool.remove(inst.key);
    if (inst.replica === 0) {
      pool.dispose();
      this.pools.delete(first);
    }
  }

  /** False while the replica at `key` is out of rotation by its health (unless its pool is in panic: then every replica serves). */
  inRotation(inst: Instance): boolean {
    const pool = this.pools.get(`${inst.id}@${inst.version}`);
    if (pool === undefined || pool.panic) return true;
    return pool.member(inst.key)?.inRotation !== false;
  }

  /** The health of `inst` as its pool sees it; `unknown` for an instance without replicas. */
  healthOf(inst: Instance): HealthState {
    return this.pools.get(`${inst.id}@${inst.version}`)?.member(inst.key)?.state ?? "unknown";
  }

  /** The health of `inst` as its pool sees it, in full; undefined for an instance in no pool. */
  memberOf(inst: Instance): MemberHealthSnapshot | undefined {
    const pool = this.pools.get(`${inst.id}@${inst.version}`);
    return pool?.snapshot().members.find((m) => m.key === inst.key);
  }

  /** Each replicated module's pool: its members' health, load and ejections. */
  snapshot(): Array<{ id: string; version: string; health: PoolHealthSnapshot }> {
    return [...this.pools].map(([key, pool]) => {
      const at = key.lastIndexOf("@");
      return { id: key.slice(0, at), version: key.slice(at + 1), health: pool.snapshot() };
    });
  }

  /**
   * A liveness or readiness probe, or an application's health check, of `inst` answered: a
   * replica's or engine's health counts it (startup probes do not); `reason` says why it failed.
   */
  probed(inst: Instance, probe: string, ok: boolean, reason: string | undefined): void {
    if (inst.group === undefined || probe === "startup") return;
    this.pools.get(inst.group.key)?.probe(inst.key, ok, reason);
  }

  /** An application's health check `check` of `inst` answered: its own run of verdicts counts (see ReplicaHealth.checked). */
  checked(inst: Instance, check: string, ok: boolean, reason: string | undefined): void {
    if (inst.group === undefined) return;
    this.pools.get(inst.group.key)?.checked(inst.key, check, ok, reason);
  }

  /** A round of resource samples: a replica's memory feeds its trend. */
  sampled(samples: readonly ResourceSample[]): void {
    for (const s of samples) {
      if (s.memoryBytes === null) continue;
      this.poolOf(s.id, s.version)?.memorySample(sampleKey(s), s.memoryBytes);
    }
  }

  settled(): void {}

  attempted(run: CallRun, durationMs: number, error: ChipsetError | undefined): void {
    const site = run.site as Instance | undefined;
    if (site?.group === undefined) return;
    const pool = this.pools.get(site.group.key);
    if (pool === undefined) return;
    if (error === undefined) return pool.callSucceeded(site.key, durationMs);
    // What a replica did wrong: crashed, too slow, or threw; a refusal or a bad call is not its fault.
    if (error.code === ErrorCodes.MODULE_CRASHED) pool.callFailed(site.key, "crash");
    else if (error.code === ErrorCodes.CALL_TIMEOUT) pool.callFailed(site.key, "timeout");
    else if (error.code === ErrorCodes.CALL_FAILED) pool.callFailed(site.key, "error");
  }

  dispose(): void {
    for (const pool of this.pools.values()) pool.dispose();
    this.pools.clear();
  }

  private poolOf(id: string, version: string): PoolHealth | undefined {
    return this.pools.get(`${id}@${version}`);
  }

  private report(id: string, version: string, e: PoolHealthEvent): void {
    const { events } = this.deps;
    if (e.type === "health") {
      const replica = replicaOf(e.key);
      events.emit("replica.health", {
        id,
        version,
        replica,
        from: e.from,
        to: e.to,
        reason: e.reason,
        ...(e.action === undefined ? {} : { action: e.action }),
      });
      if (e.action === "drain-and-restart") {
        const inst = this.deps.instances.get(e.key);
        if (inst !== undefined)
          void this.deps.recycle(inst).catch((err: unknown) => this.deps.onError(`recycling ${e.key}`, err));
      }
      return;
    }
    if (e.type === "panic") {
      events.emit("replica.ejection", { id, version, event: "panic", active: e.on, reason: e.reason });
      return;
    }
    events.emit("replica.ejection", {
      id,
      version,
      replica: replicaOf(e.key),
      event: e.type,
      reason: e.reason,
      ...(e.type === "ejected" ? { durationMs: e.durationMs, timesEjected: e.timesEjected } : {}),
    });
  }
}

/** The replica number in an instance key (`id@version#n`; 0 without `#`). */
function replicaOf(key: string): number {
  const hash = key.lastIndexOf("#");
  return hash < 0 ? 0 : Number(key.slice(hash + 1));
}
