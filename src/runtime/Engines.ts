import {
  explain,
  type DispatchExplanation,
  type DispatchStrategy,
  type StrategyRegistry,
} from "../dispatch/strategies.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import type { Candidate, DispatchRequest, DispatchSettings, HealthState } from "../vocabulary/dispatch.js";
import type { Clock } from "../common/Clock.js";
import { abortError } from "../common/abort.js";
import type { CallRun } from "../policies/CallRun.js";
import type { CallObserver } from "./CallObserver.js";

/** What engine dispatch needs from the runtime. */
export interface EnginesDeps {
  clock: Clock;
  /** Document 004's manager settings: default strategy and type, limits, queue, timeouts. */
  settings: DispatchSettings;
  instances: InstanceReader;
  strategies: StrategyRegistry;
  random: () => number;
  /** The ids of installed modules that declare an engine of `type` (any type when undefined). */
  installedEngines(type: string | undefined): string[];
  /** Brings `id` to running. */
  ensureRunning(id: string, signal?: AbortSignal): Promise<Instance>;
  /** Calls `method` of `inst` itself, through its module's policies. */
  callInstance(
    inst: Instance,
    method: string,
    args: readonly unknown[],
    signal?: AbortSignal,
  ): Promise<unknown>;
  /** Whether an instance is in rotation (not down, draining, ejected or unhealthy). */
  inRotation(inst: Instance): boolean;
  /** The health of an instance, as its pool sees it (unknown for a module without replicas). */
  healthOf(inst: Instance): HealthState;
}

/** One member of an engine pool, as `runtime.engines()` lists it. */
export interface EngineMember {
  /** The instance's address: `id@version`, `#replica` after a module's first replica. */
  key: string;
  id: string;
  version: string;
  replica: number;
  state: string;
  health: HealthState;
  inRotation: boolean;
  capabilities: readonly string[];
  labels: Readonly<Record<string, string>>;
  weight: number;
  maxConcurrent: number;
  /** Calls in flight now. */
  inflight: number;
  /** Document 004's load factor, (maxConcurrent - inflight) / maxConcurrent, 0 to 1. */
  load: number;
  calls: number;
}

/** An engine pool: the live instances of every module that declares an engine of `type`. */
export interface EnginePool {
  type: string;
  members: EngineMember[];
  /** `runtime.execute` calls waiting for a member under its `maxConcurrent` (at most the settings' `maxQueue`). */
  queued: number;
}

/**
 * Document 004's engine manager over the instance table: modules with an `engine` section form a
 * pool per type; `execute` picks one live instance across the pool by a strategy (the request's,
 * else the score) and calls it, retrying an idempotent call on another member when one fails;
 * `executeOn` calls the named one; `engines` lists the pools; `explain` shows every candidate's
 * eligibility and score for a request.
 */
export class Engines implements CallObserver {
  /** One strategy per pool and strategy name: strategies keep state (rotation, rings) across calls. */
  private readonly strategies = new Map<string, DispatchStrategy>();
  /** Per pool and strategy name: the candidates its strategy was handed last (see {@link stable}). */
  private readonly rotations = new Map<string, readonly Candidate[]>();
  /** By engine type (`*`: any): the calls waiting for a member with room, first come first served. */
  private readonly queues = new Map<string, Array<() => void>>();

  constructor(private readonly deps: EnginesDeps) {}

  /**
   * Calls `method` with `args` on an engine `request` picks (its `type`, else the settings'
   * `defaultEngineType`; required `capabilities`, `key`, preferred `labels`, `strategy`, else the
   * settings'). Starts the pool's modules when none runs (at most `maxEngines` live, within
   * `startTimeoutMs`). While every member in rotation is at its `maxConcurrent`, the call waits its
   * turn (at most `maxQueue` wait). A call that fails by the engine's doing (crash, timeout, error)
   * and whose method is idempotent is tried on another member, up to three. The whole call takes
   * at most `requestTimeoutMs` when set (`CHIP_ERR_CALL_TIMEOUT`).
   */
  async execute(
    request: DispatchRequest,
    method: string,
    args: readonly unknown[],
    signal?: AbortSignal,
  ): Promise<unknown> {
    const { settings, clock } = this.deps;
    const typed =
      request.type === undefined && settings.defaultEngineType !== undefined
        ? { ...request, type: settings.defaultEngineType }
        : request;
    if (settings.requestTimeoutMs === 0) return this.dispatch(typed, method, args, signal);
    const deadline = new AbortController();
    const ms = settings.requestTimeoutMs;
    const timer = clock.setTimeout(() => deadline.abort(requestTimedOut(typed, method, ms)), ms);
    try {
      const within = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
      return await this.dispatch(typed, method, args, within);
    } catch (err) {
      throw deadline.signal.aborted ? (deadline.signal.reason as ChipsetError) : err;
    } finally {
      timer.dispose();
    }
  }

  private async dispatch(
    request: DispatchRequest,
    method: string,
    args: readonly unknown[],
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    let members = this.members(request.type);
    if (members.length === 0) members = await this.startPool(request.type, signal);
    const tried = new Set<Instance>();
    for (;;) {
      const untried = members.filter((m) => !tried.has(m));
      let inst = this.pick(request, untried);
      while (inst === undefined && this.someBusy(request, untried)) {
        await this.waitTurn(request.type, signal);
        inst = this.pick(request, untried);
      }
      if (inst === undefined) throw noEngine(request, members.length, tried.size);
      tried.add(inst);
      try {
        return await this.deps.callInstance(inst, method, args, signal);
      } catch (err) {
        if (!retryElsewhere(inst, method, err) || tried.size >= 3 || signal?.aborted === true) throw err;
      }
    }
  }

  settled(): void {}

  /** An attempt ended somewhere (through `execute`, `use()` or the API): if at an engine, the next call waiting for its pool goes. */
  attempted(run: CallRun): void {
    const type = (run.site as Instance | undefined)?.manifest.engine?.type;
    if (type === undefined || this.queues.size === 0) return;
    (this.queues.get(type)?.shift() ?? this.queues.get("*")?.shift())?.();
  }

  /** True when a member of `members` in rotation could take the call but for its calls in flight. */
  private someBusy(request: DispatchRequest, members: readonly Instance[]): boolean {
    return members.some((m) => {
      if (!m.takesCalls || !this.deps.inRotation(m)) return false;
      if (request.type !== undefined && m.manifest.engine?.type !== request.type) return false;
      const c = this.candidateOf(m);
      return c.inflight >= c.maxConcurrent;
    });
  }

  /** Waits for a call of the pool to end (its member has room again); refused when `maxQueue` already wait. */
  private waitTurn(type: string | undefined, signal: AbortSignal | undefined): Promise<void> {
    const key = type ?? "*";
    let queue = this.queues.get(key);
    if (queue === undefined) this.queues.set(key, (queue = []));
    const waiting = queue;
    const { maxQueue } = this.deps.settings;
    if (waiting.length >= maxQueue)
      return Promise.reject(
        new ChipsetError(
          ErrorCodes.BULKHEAD_FULL,
          `every ${type === undefined ? "" : `"${type}" `}engine is at its maxConcurrent and ${maxQueue} calls already wait (dispatch.maxQueue); retry later, or add engines`,
          { details: { type: type ?? null, maxQueue } },
        ),
      );
    return new Promise<void>((resolve, reject) => {
      const turn = () => {
        signal?.removeEventListener("abort", aborted);
        resolve();
      };
      const aborted = () => {
        const at = waiting.indexOf(turn);
        if (at >= 0) waiting.splice(at, 1);
        reject(abortError(signal!, "a call waiting for an engine"));
      };
      if (signal?.aborted === true) return aborted();
      signal?.addEventListener("abort", aborted, { once: true });
      waiting.push(turn);
    });
  }

  /** Calls `method` on the engine instance at `key` (`id@version[#replica]`), through its policies. */
  executeOn(key: string, method: string, args: readonly unknown[], signal?: AbortSignal): Promise<unknown> {
    const inst = this.deps.instances.get(key);
    if (inst === undefined || inst.manifest.engine === undefined)
      return Promise.reject(
        new ChipsetError(
          ErrorCodes.MODULE_NOT_FOUND,
          `no engine instance ${key} is live; the live ones are: ${
            this.members(undefined)
              .map((m) => m.key)
              .join(", ") || "none"
          }`,
          { module: key },
        ),
      );
    return this.deps.callInstance(inst, method, args, signal);
  }

  /** Every engine pool with its live members, their health, load and rotation. */
  engines(): EnginePool[] {
    const pools = new Map<string, EngineMember[]>();
    for (const inst of this.members(undefined)) {
      const type = inst.manifest.engine!.type;
      const c = this.candidateOf(inst);
      let list = pools.get(type);
      if (list === undefined) pools.set(type, (list = []));
      list.push({
        key: inst.key,
        id: inst.id,
        version: inst.version,
        replica: inst.replica,
        state: inst.state,
        health: this.deps.healthOf(inst),
        inRotation: this.deps.inRotation(inst),
        capabilities: c.capabilities,
        labels: c.labels,
        weight: c.weight,
        maxConcurrent: c.maxConcurrent,
        inflight: c.inflight,
        load: Math.max(0, Math.min(1, (c.maxConcurrent - c.inflight) / c.maxConcurrent)),
        calls: inst.calls,
      });
    }
    return [...pools].map(([type, members]) => ({
      type,
      members,
      queued: (this.queues.get(type)?.length ?? 0) + (this.queues.get("*")?.length ?? 0),
    }));
  }

  /** For `request`: every live engine's eligibility and score, and which one the strategy would pick now. */
  explain(request: DispatchRequest): DispatchExplanation {
    const members = this.members(request.type === undefined ? undefined : request.type);
    const candidates = members.map((m) => this.candidateOf(m));
    const inRotation = new Set(members.filter((m) => this.deps.inRotation(m)).map((m) => m.key));
    const name = request.strategy ?? this.deps.settings.strategy;
    return explain(candidates, request, name, {
      registry: this.deps.strategies,
      settings: { random: this.deps.random },
      instance: this.strategy(request.type, name),
      inRotation: (c) => inRotation.has(c.key),
    });
  }

  /** The live engine instances of `type` (every type when undefined) that run or are paused. */
  private members(type: string | undefined): Instance[] {
    const out: Instance[] = [];
    for (const inst of this.deps.instances.all()) {
      const engine = inst.manifest.engine;
      if (engine === undefined || (type !== undefined && engine.type !== type)) continue;
      if (inst.state === "running" || inst.state === "paused") out.push(inst);
    }
    return out;
  }

  /** Starts every installed module of the pool; answers its live members (none: `CHIP_ERR_MODULE_NOT_FOUND`). */
  private async startPool(type: string | undefined, signal: AbortSignal | undefined): Promise<Instance[]> {
    const { maxEngines } = this.deps.settings;
    const room = maxEngines === 0 ? Infinity : maxEngines - this.members(undefined).length;
    const installed = this.deps.installedEngines(type);
    if (installed.length > 0 && room <= 0)
      throw new ChipsetError(
        ErrorCodes.MODULE_UNAVAILABLE,
        `no ${type === undefined ? "" : `"${type}" `}engine runs, and ${maxEngines} engine instances already do (dispatch.maxEngines); stop one, or raise maxEngines`,
        { details: { type: type ?? null, maxEngines } },
      );
    const ids = installed.slice(0, room);
    if (ids.length === 0)
      throw new ChipsetError(
        ErrorCodes.MODULE_NOT_FOUND,
        `no installed module declares an engine${type === undefined ? "" : ` of type "${type}"`}; add one whose manifest has "engine": { "type": "${type ?? "wasm"}" }`,
        { details: { type: type ?? null } },
      );
    const deadline = new AbortController();
    const ms = this.deps.settings.startTimeoutMs;
    const timer = this.deps.clock.setTimeout(() => deadline.abort(startTimedOut(type, ms)), ms);
    const within = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    try {
      await Promise.all(ids.map((id) => this.deps.ensureRunning(id, within)));
    } catch (err) {
      throw deadline.signal.aborted ? (deadline.signal.reason as ChipsetError) : err;
    } finally {
      timer.dispose();
    }
    return this.members(type);
  }

  private pick(request: DispatchRequest, members: readonly Instance[]): Instance | undefined {
    // In rotation, and with room for one more call (document 004's load: current < max).
    const rotation = members.filter((m) => {
      if (!m.takesCalls || m.unready !== undefined || !this.deps.inRotation(m)) return false;
      const c = this.candidateOf(m);
      return c.inflight < c.maxConcurrent;
    });
    if (rotation.length === 0) return undefined;
    const name = request.strategy ?? this.deps.settings.strategy;
    const key = `${request.type ?? "*"} ${name}`;
    const candidates = this.stable(key, rotation);
    const chosen = this.strategy(request.type, name).pick(candidates, request);
    return chosen === undefined ? undefined : rotation[candidates.indexOf(chosen)];
  }

  /**
   * The candidates of `rotation` as the array `key`'s strategy was last handed when they are the
   * same members in the same order: a strategy that precomputes (a hash ring, smooth weights)
   * rebuilds only when the rotation really changed.
   */
  private stable(key: string, rotation: readonly Instance[]): readonly Candidate[] {
    const last = this.rotations.get(key);
    if (last !== undefined && last.length === rotation.length) {
      let same = true;
      for (let i = 0; i < rotation.length && same; i++) same = last[i] === this.candidateOf(rotation[i]!);
      if (same) return last;
    }
    const fresh = rotation.map((m) => this.candidateOf(m));
    this.rotations.set(key, fresh);
    return fresh;
  }

  private strategy(type: string | undefined, name: string): DispatchStrategy {
    const key = `${type ?? "*"} ${name}`;
    let strategy = this.strategies.get(key);
    if (strategy === undefined)
      this.strategies.set(key, (strategy = this.deps.strategies.create(name, { random: this.deps.random })));
    return strategy;
  }

  /** What the dispatcher sees of `inst`, its calls in flight read now. */
  private candidateOf(inst: Instance): Candidate {
    // Every engine instance is in a group (of one without replicas), made with it.
    const candidate = inst.group!.candidateOf(inst)!;
    candidate.inflight = inst.gate.inFlight;
    return candidate;
  }
}

/** True when a failed call of `method` on `inst` may go to another engine: the engine's fault, and the method idempotent. */
function retryElsewhere(inst: Instance, method: string, err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (
    code !== ErrorCodes.MODULE_CRASHED &&
    code !== ErrorCodes.CALL_TIMEOUT &&
    code !== ErrorCodes.CALL_FAILED &&
    code !== ErrorCodes.MODULE_DOWN
  )
    return false;
  const calls = inst.manifest.calls;
  return calls?.methods?.[method]?.idempotent ?? calls?.idempotent ?? false;
}

function noEngine(request: DispatchRequest, live: number, tried: number): ChipsetError {
  const what = request.type === undefined ? "engine" : `"${request.type}" engine`;
  const needs = request.capabilities?.length ? ` with ${request.capabilities.join(", ")}` : "";
  const why =
    tried > 0
      ? `the ${tried} tried failed and no other takes calls`
      : live === 0
        ? "none is running"
        : `none of the ${live} running is in rotation and fits`;
  return new ChipsetError(
    ErrorCodes.MODULE_UNAVAILABLE,
    `no ${what}${needs} can take the call: ${why}; see runtime.engines() or chipset dispatch --explain`,
    { details: { request: { ...request }, live, tried } },
  );
}

function requestTimedOut(request: DispatchRequest, method: string, ms: number): ChipsetError {
  return new ChipsetError(
    ErrorCodes.CALL_TIMEOUT,
    `execute ${method}() on ${request.type === undefined ? "an" : `a "${request.type}"`} engine took longer than ${ms} ms (dispatch.requestTimeoutMs), its wait for an engine included`,
    { details: { method, timeoutMs: ms, type: request.type ?? null } },
  );
}

function startTimedOut(type: string | undefined, ms: number): ChipsetError {
  return new ChipsetError(
    ErrorCodes.CALL_TIMEOUT,
    `the ${type === undefined ? "" : `"${type}" `}engines did not start within ${ms} ms (dispatch.startTimeoutMs); see why with chipset logs, or raise startTimeoutMs`,
    { details: { type: type ?? null, timeoutMs: ms } },
  );
}
