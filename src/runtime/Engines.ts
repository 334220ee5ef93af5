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
import { replicaCandidate } from "../instances/replicaCandidate.js";
import type { Candidate, DispatchRequest, HealthState } from "../vocabulary/dispatch.js";

/** The strategy `runtime.execute` picks by when neither the request nor the options name one: document 004's weighted score. */
export const DEFAULT_EXECUTE_STRATEGY = "score";

/** What engine dispatch needs from the runtime. */
export interface EnginesDeps {
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
}

/**
 * Document 004's engine manager over the instance table: modules with an `engine` section form a
 * pool per type; `execute` picks one live instance across the pool by a strategy (the request's,
 * else the score) and calls it, retrying an idempotent call on another member when one fails;
 * `executeOn` calls the named one; `engines` lists the pools; `explain` shows every candidate's
 * eligibility and score for a request.
 */
export class Engines {
  /** One strategy per pool and strategy name: strategies keep state (rotation, rings) across calls. */
  private readonly strategies = new Map<string, DispatchStrategy>();
  /** The candidate of each engine instance without replicas (a replica's is its group's). */
  private readonly own = new WeakMap<Instance, Candidate>();

  constructor(private readonly deps: EnginesDeps) {}

  /**
   * Calls `method` with `args` on an engine `request` picks (its `type`, required `capabilities`,
   * `key`, preferred `labels`, `strategy`). Starts the pool's modules when none runs. A call that
   * fails by the engine's doing (crash, timeout, error) and whose method is idempotent is tried
   * on another member, up to three members.
   */
  async execute(
    request: DispatchRequest,
    method: string,
    args: readonly unknown[],
    signal?: AbortSignal,
  ): Promise<unknown> {
    let members = this.members(request.type);
    if (members.length === 0) members = await this.startPool(request.type, signal);
    const tried = new Set<Instance>();
    for (;;) {
      const inst = this.pick(
        request,
        members.filter((m) => !tried.has(m)),
      );
      if (inst === undefined) throw noEngine(request, members.length, tried.size);
      tried.add(inst);
      try {
        return await this.deps.callInstance(inst, method, args, signal);
      } catch (err) {
        if (!retryElsewhere(inst, method, err) || tried.size >= 3 || signal?.aborted === true) throw err;
      }
    }
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
    return [...pools].map(([type, members]) => ({ type, members }));
  }

  /** For `request`: every live engine's eligibility and score, and which one the strategy would pick now. */
  explain(request: DispatchRequest): DispatchExplanation {
    const members = this.members(request.type === undefined ? undefined : request.type);
    const candidates = members.map((m) => this.candidateOf(m));
    const inRotation = new Set(members.filter((m) => this.deps.inRotation(m)).map((m) => m.key));
    const name = request.strategy ?? DEFAULT_EXECUTE_STRATEGY;
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
    const ids = this.deps.installedEngines(type);
    if (ids.length === 0)
      throw new ChipsetError(
        ErrorCodes.MODULE_NOT_FOUND,
        `no installed module declares an engine${type === undefined ? "" : ` of type "${type}"`}; add one whose manifest has "engine": { "type": "${type ?? "wasm"}" }`,
        { details: { type: type ?? null } },
      );
    await Promise.all(ids.map((id) => this.deps.ensureRunning(id, signal)));
    return this.members(type);
  }

  private pick(request: DispatchRequest, members: readonly Instance[]): Instance | undefined {
    const rotation = members.filter(
      (m) => m.takesCalls && m.unready === undefined && this.deps.inRotation(m),
    );
    if (rotation.length === 0) return undefined;
    const candidates = rotation.map((m) => this.candidateOf(m));
    // A new array each call: a strategy that precomputes (a hash ring) rebuilds for it.
    const strategy = this.strategy(request.type, request.strategy ?? DEFAULT_EXECUTE_STRATEGY);
    const chosen = strategy.pick(candidates, request);
    return chosen === undefined ? undefined : rotation[candidates.indexOf(chosen)];
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
    let candidate = inst.group?.candidateOf(inst) ?? this.own.get(inst);
    if (candidate === undefined)
      this.own.set(inst, (candidate = replicaCandidate(inst.key, inst.id, inst.manifest)));
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
