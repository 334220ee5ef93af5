import type { Clock } from "../common/Clock.js";
import type { Emitter } from "../common/Emitter.js";
import { race } from "../common/race.js";
import { EventSource } from "../common/Event.js";
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import type { LifecycleRunner } from "../lifecycle/LifecycleRunner.js";
import type { MemberHealthSnapshot } from "../dispatch/health.js";
import type { HealthState, ReplicasManifest } from "../vocabulary/dispatch.js";
import type { ChipsetManifest, ModuleRecord } from "../vocabulary/manifest.js";
import type { LifecycleCommand, LifecycleState } from "../vocabulary/lifecycle.js";
import { parseModuleRef } from "../vocabulary/moduleRef.js";
import type { RuntimeEvents, UnloadReason } from "./RuntimeEvents.js";
import { transition } from "../lifecycle/transitions.js";

/** What replica management needs from the runtime. */
export interface ReplicasDeps {
  clock: Clock;
  events: Emitter<RuntimeEvents>;
  instances: InstanceReader;
  runner: LifecycleRunner<Instance>;
  /** How long a leaving replica may finish its calls unless its manifest's `replicas.drainTimeoutMs` says, in ms. */
  drainTimeoutMs: number;
  /** True once the runtime is closing: no replica is made or restarted any more. */
  closing(): boolean;
  /** True while the instance at `key` is down after a crash: its supervisor's restart moves it, not an operator. */
  isDown(key: string): boolean;
  /** Makes replica `replica` of `first`'s version (not loaded) and puts it in the table and the group. */
  create(first: Instance, replica: number): Instance;
  /** Stops (if need be) and unloads an instance, saying why. */
  unload(inst: Instance, reason: UnloadReason): Promise<void>;
  /** Takes a replica out of the table, its group and supervision (it has been unloaded). */
  forget(inst: Instance): void;
  /** Resolves `ref` to the first replica of the version calls to it reach, activating nothing. */
  answering(ref: string): Instance | undefined;
  /** The version of `ref` a first call would load (the highest within its range), if one is installed. */
  installed(ref: string): ModuleRecord | undefined;
  onError(context: string, error: unknown): void;
  /** `replicas.max` when a manifest does not set it: the CPUs this host may use (see the environment's adapted defaults). */
  defaultMax: number;
  /** Deletes the checkpoint of `replica` (scaled away: its number may be made again, afresh). */
  dropCheckpoint(replica: Instance): void;
  /** The health of a replica as its pool sees it (undefined before its pool knows it). */
  healthOf(inst: Instance): MemberHealthSnapshot | undefined;
}

/** One replica as `runtime.replicas.list()` shows it: where it runs, its health and its load. */
export interface ReplicaView {
  /** `id@version`, and `#replica` after the first. */
  key: string;
  replica: number;
  state: LifecycleState;
  /** The process it runs in. */
  pid: number;
  /** Its worker thread's id (0: a process replica's main thread). */
  thread: number;
  health: HealthState;
  /** Why it is in that state (the last `replica.health` reason). */
  reason: string;
  /** False while it is down, draining, ejected or unhealthy: no call goes to it. */
  inRotation: boolean;
  /** Its weight times its health factor: what strategies weigh it by (1 for a replica at its best). */
  effectiveWeight: number;
  inflight: number;
  /** Mean time of its recent successful calls, in ms; undefined before any. */
  meanMs: number | undefined;
  /** Failed share of its recent calls, 0 to 1; undefined before any. */
  errorRate: number | undefined;
  /** Times it was ejected since it joined. */
  ejections: number;
  /** Calls it served since it was made. */
  calls: number;
}

/** One module's replicas, as `runtime.replicas()` and the HTTP API show them. */
export interface ReplicaSetView {
  id: string;
  version: string;
  /** Replicas asked for (the manifest's `min`, or the last scale). */
  desired: number;
  /** Replicas that exist now (any state). */
  current: number;
  min: number;
  max: number;
  strategy: string;
  /** Each replica, first to last. */
  members: ReplicaView[];
}

/** What `scale` changed: the module's version and the replica count before and after. */
export interface ScaleResult {
  id: string;
  version: string;
  from: number;
  to: number;
}

/**
 * The replicas of modules whose manifest has `replicas`: each is an instance of the table with its
 * own host, lifecycle and supervision, and follows the first replica's lifecycle (the one every
 * activation, control command and shutdown drives): when it starts, the missing replicas are made
 * and started; when it pauses, resumes, stops or unloads, so do they (an unloaded replica leaves
 * the table). `scale` changes how many run; a replica leaving is drained first (out of rotation,
 * its calls in flight finish, up to `drainTimeoutMs`).
 */
export class Replicas {
  /** Module id -> replicas asked for (kept across its versions). */
  private readonly desired = new Map<string, number>();
  /** Told of each scale an operator asked for (`scale`), so that autoscaling counts it. */
  readonly manualScale = new EventSource<ScaleResult>();
  /** Replicas leaving: out of rotation while their calls finish (by instance: a replica made again at its address is not). */
  private readonly draining = new Set<Instance>();
  /** Module id -> the scale being applied (and those queued after it), settled. */
  private readonly applying = new Map<string, Promise<void>>();
  /** Replicas being restarted in a fresh host by {@link recycle}: their steps are not followed. */
  private readonly recycling = new Set<Instance>();

  constructor(private readonly deps: ReplicasDeps) {}

  /** False while `replica` is draining (no new calls go to it). */
  inRotation(replica: Instance): boolean {
    return !this.draining.has(replica);
  }

  /**
   * The first replica of a replicated module finished `command`: its other replicas follow. Not
   * while its supervisor restarts it after a crash, nor while it is recycled: the others go on
   * serving then.
   */
  transitioned(inst: Instance, command: LifecycleCommand): void {
    const group = inst.group;
    if (group === undefined || inst.replica !== 0) return;
    if (this.recycling.has(inst) || this.deps.isDown(inst.key)) return;
    if (command === "start") {
      void this.fill(inst).catch((err: unknown) => this.deps.onError(`replicas of ${inst.key}`, err));
      return;
    }
    if (command !== "pause" && command !== "resume" && command !== "stop" && command !== "unload") return;
    for (const replica of [...group.list()]) {
      if (replica === inst) continue;
      const follow = async () => {
        if (command === "unload") return this.retire(replica, "request");
        // A replica still starting (a fill in flight) takes the command once it is up.
        await this.deps.runner.idle(replica);
        if (transition(replica.state, command).ok) await this.deps.runner.run(replica, command);
      };
      void follow().catch((err: unknown) => this.deps.onError(`replica ${replica.key}`, err));
    }
  }

  /** Replicas asked for of `first`'s version: the last scale, else the manifest's `min`. */
  desiredOf(first: { readonly id: string; readonly manifest: ChipsetManifest }): number {
    return this.desired.get(first.id) ?? first.manifest.replicas?.min ?? 1;
  }

  /**
   * Sets how many replicas of `ref`'s module run, from 1 to its `replicas.max`. Resolves once the
   * new replicas run (or the leaving ones are gone), with what changed. While the module is not
   * running, only the count is kept: it applies when it starts.
   */
  async scale(ref: string, count: number): Promise<ScaleResult> {
    const first = this.deps.answering(ref);
    const record = first?.record ?? this.deps.installed(ref);
    if (record === undefined)
      throw new ChipsetError(
        ErrorCodes.MODULE_NOT_FOUND,
        `${ref} is not installed; add it first (chipset add <dir>)`,
        {
          module: parseModuleRef(ref).id,
        },
      );
    const { id, version, manifest } = record;
    checkCount(`${id}@${version}`, manifest, count, this.deps.defaultMax);
    const result = await this.apply(record, first, count, "requested");
    if (result.from !== count) this.manualScale.emit(result);
    return result;
  }

  /**
   * Records `count` replicas as asked for `record`'s module and, while its first replica `first`
   * runs, makes or drains replicas to match; `replicas.scaled` says why (`reason`).
   */
  apply(
    record: { readonly id: string; readonly version: string; readonly manifest: ChipsetManifest },
    first: Instance | undefined,
    count: number,
    reason: string,
  ): Promise<ScaleResult> {
    // One change at a time per module: an operator's scale and autoscaling's never interleave.
    const before = this.applying.get(record.id) ?? Promise.resolve();
    const run = before.then(() => this.applyNow(record, first, count, reason));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.applying.set(record.id, settled);
    void settled.then(() => {
      if (this.applying.get(record.id) === settled) this.applying.delete(record.id);
    });
    return run;
  }

  private async applyNow(
    record: { readonly id: string; readonly version: string; readonly manifest: ChipsetManifest },
    first: Instance | undefined,
    count: number,
    reason: string,
  ): Promise<ScaleResult> {
    // Queued behind another change: an update may have replaced the version meanwhile.
    if (first !== undefined && this.deps.instances.get(first.key) !== first) {
      first = this.deps.answering(record.id);
      if (first !== undefined) record = first.record;
    }
    const { id, version } = record;
    const from = this.desiredOf(record);
    this.desired.set(id, count);
    if (first !== undefined && (first.state === "running" || first.state === "paused")) {
      await this.fill(first);
      await this.trim(first, count);
    }
    if (from !== count) this.deps.events.emit("replicas.scaled", { id, version, from, to: count, reason });
    return { id, version, from, to: count };
  }

  /** The replica sets of every replicated module that has an instance. */
  list(): ReplicaSetView[] {
    const views: ReplicaSetView[] = [];
    for (const inst of this.deps.instances.all()) {
      const settings = inst.manifest.replicas;
      if (inst.replica !== 0 || inst.group === undefined || settings === undefined) continue;
      const { min, max } = bounds(settings, this.deps.defaultMax);
      views.push({
        id: inst.id,
        version: inst.version,
        desired: this.desiredOf(inst),
        current: inst.group.size,
        min,
        max,
        strategy: settings.strategy ?? "round_robin",
        members: inst.group.list().map((r) => this.viewOf(r)),
      });
    }
    return views;
  }

  private viewOf(replica: Instance): ReplicaView {
    const health = this.deps.healthOf(replica);
    const host = replica.host.info();
    return {
      key: replica.key,
      replica: replica.replica,
      state: replica.state,
      pid: host.pid,
      thread: host.threadId,
      health: health?.health ?? "unknown",
      reason: health?.reason ?? "",
      inRotation:
        replica.takesCalls &&
        health?.inRotation !== false &&
        this.inRotation(replica) &&
        !this.deps.isDown(replica.key),
      effectiveWeight: health?.effectiveWeight ?? 1,
      inflight: replica.gate.inFlight,
      meanMs: health?.meanMs,
      errorRate: health?.errorRate,
      ejections: health?.ejections ?? 0,
      calls: replica.calls,
    };
  }

  /** Makes the missing replicas of `first`'s version and brings them to its state. */
  private async fill(first: Instance): Promise<void> {
    if (this.deps.closing()) return;
    const group = first.group!;
    const want = this.desiredOf(first);
    const work: Array<Promise<void>> = [];
    for (let n = 1; n < want; n++) {
      const replica = group.member(n) ?? this.deps.create(first, n);
      replica.deps = first.deps;
      if (replica.state === "running" || this.draining.has(replica)) continue;
      work.push(this.deps.runner.advance(replica, "running").then(() => this.catchUp(first, replica)));
    }
    const results = await Promise.allSettled(work);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }

  /**
   * A replica that came up after its first replica was paused or stopped meanwhile (the command
   * may have reached it before its start had begun) takes that state now.
   */
  private async catchUp(first: Instance, replica: Instance): Promise<void> {
    // Not while the first is down after a crash or recycled: the others go on serving then.
    if (replica.state !== "running" || this.recycling.has(first) || this.deps.isDown(first.key)) return;
    if (first.state === "paused") await this.deps.runner.run(replica, "pause");
    else if (first.state === "stopped") await this.deps.runner.run(replica, "stop");
  }

  /** Drains and retires the replicas of `first`'s version numbered `count` and above, highest first. */
  private async trim(first: Instance, count: number): Promise<void> {
    const leaving = first.group!.list().filter((r) => r.replica >= count);
    await Promise.all(leaving.reverse().map((replica) => this.retire(replica, "scaled")));
  }

  /**
   * Drains `replica` (out of rotation, its calls finish, up to the drain timeout), then stops and
   * unloads it and brings it back in a fresh host: what a replica whose memory keeps rising gets.
   */
  async recycle(replica: Instance): Promise<void> {
    if (this.recycling.has(replica) || this.deps.closing()) return;
    this.recycling.add(replica);
    try {
      await this.drain(replica);
      await this.deps.unload(replica, "recycled");
      this.draining.delete(replica);
      if (!this.deps.closing()) await this.deps.runner.advance(replica, "running");
    } finally {
      this.draining.delete(replica);
      this.recycling.delete(replica);
    }
  }

  /** Takes `replica` out of rotation and resolves once its calls finished, or the drain timeout passed. */
  private async drain(replica: Instance): Promise<void> {
    this.draining.add(replica);
    const { clock } = this.deps;
    const ms = replica.manifest.replicas?.drainTimeoutMs ?? this.deps.drainTimeoutMs;
    await race(replica.gate.drained(), { clock, ms, onTimeout: () => undefined });
  }

  /** Takes `replica` out of rotation, lets its calls finish (up to the drain timeout), stops and unloads it, and forgets it. */
  private async retire(replica: Instance, reason: UnloadReason): Promise<void> {
    try {
      await this.drain(replica);
      await this.deps.unload(replica, reason);
    } catch (err) {
      this.deps.onError(`retiring replica ${replica.key}`, new Error(messageOf(err), { cause: err }));
    } finally {
      this.draining.delete(replica);
      this.deps.forget(replica);
      // A replica made again at this number later starts without this one's state.
      if (reason === "scaled") this.deps.dropCheckpoint(replica);
    }
  }
}

/**
 * Throws unless `count` replicas fit `manifest` (`CHIP_ERR_OPTIONS_INVALID`: it has no `replicas`,
 * or the count is outside 1 to its max, naming the range).
 */
function checkCount(key: string, manifest: ChipsetManifest, count: number, defaultMax: number): void {
  const settings = manifest.replicas;
  if (settings === undefined)
    throw new ChipsetError(
      ErrorCodes.OPTIONS_INVALID,
      `${key} runs as one instance: its manifest has no "replicas". Add "replicas": { "min": 1, "max": 4 } to its chipset field (worker or process isolation) to scale it`,
      { module: key, details: { field: "chipset.replicas" } },
    );
  const { min, max } = bounds(settings, defaultMax);
  if (Number.isSafeInteger(count) && count >= 1 && count <= max) return;
  const why =
    settings.max === undefined ? "replicas.max, by default the CPUs this host may use" : "replicas.max";
  throw new ChipsetError(
    ErrorCodes.OPTIONS_INVALID,
    `${key} can run from 1 to ${max} replicas (its ${why}), not ${String(count)}; pick a count in that range, or raise replicas.max in its package.json`,
    { module: key, details: { field: "count", expected: `1 to ${max}`, found: count, min, max } },
  );
}

/** `replicas.min` and `.max` with their defaults: 1, and the larger of `min` and `defaultMax`. */
export function bounds(settings: ReplicasManifest, defaultMax: number): { min: number; max: number } {
  const min = settings.min ?? 1;
  return { min, max: settings.max ?? Math.max(min, defaultMax) };
}
