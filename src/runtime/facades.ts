import type { Clock } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";
import type { DispatchExplanation, StrategyFactory } from "../dispatch/strategies.js";
import type { DispatchRequest } from "../vocabulary/dispatch.js";
import type { HostFault } from "../vocabulary/hosts.js";
import type { Assembly } from "./Assembly.js";
import type { HealthCheck, HealthCheckOptions } from "./HealthChecks.js";
import type { CallInterceptor } from "./CallInterceptor.js";
import type { CallObserver } from "./CallObserver.js";
import type { EnginePool } from "./Engines.js";
import { summarize, type InstanceSummary } from "./instanceSummary.js";
import type { ErrorQueries } from "./Monitoring.js";
import type { ReplicaSetView, ScaleResult } from "./Replicas.js";
import type { ResourceQueries } from "./Resources.js";
import type { TriggerStatus } from "./Triggers.js";

/** `runtime.triggers`. */
export interface TriggerFacade {
  list(): TriggerStatus[];
  callRoute(method: string, path: string, arg: unknown, signal?: AbortSignal): Promise<unknown>;
}

/** `runtime.replicas`. */
export interface ReplicaFacade {
  list(): ReplicaSetView[];
  scale(ref: string, count: number): Promise<ScaleResult>;
}

/** `runtime.dispatch`. */
export interface DispatchFacade {
  registerStrategy(name: string, factory: StrategyFactory): Disposable;
  /**
   * Runs `check` every `options.intervalMs` (default 10 s) on each running replica and engine
   * instance (`options.type`, `options.module` narrow it), within `options.timeoutMs` (default
   * 1 s); `failureThreshold` failures in a row take the instance out of rotation until the same
   * check passes `successThreshold` times in a row. Dispose to stop it.
   */
  registerHealthCheck(check: HealthCheck, options?: HealthCheckOptions): Disposable;
  strategies(): string[];
  /** `runtime.execute` with the arguments as an array, and a signal that cancels the call. */
  execute(
    request: DispatchRequest,
    method: string,
    args: readonly unknown[],
    options?: { signal?: AbortSignal },
  ): Promise<unknown>;
  /** `runtime.executeOn` with the arguments as an array, and a signal that cancels the call. */
  executeOn(
    key: string,
    method: string,
    args: readonly unknown[],
    options?: { signal?: AbortSignal },
  ): Promise<unknown>;
}

/** The runtime's methods for engines (document 004): the `Runtime` implements them. */
export interface EngineFacade {
  /**
   * Calls `method` with `args` on the engine `request` picks: its `type` (a hard filter), required
   * `capabilities`, `key` (hashing, affinity), preferred `labels` and `strategy` (default `score`,
   * document 004's weighted score). Starts the pool's modules when none runs; an idempotent call
   * that fails by the engine's doing is tried on another (up to three).
   */
  execute(request: DispatchRequest, method: string, ...args: unknown[]): Promise<unknown>;
  /** Calls `method` with `args` on the engine instance at `key` (`id@version`, `#replica` after the first). */
  executeOn(key: string, method: string, ...args: unknown[]): Promise<unknown>;
  /** Every engine pool (modules with an `engine` section, by type) with each live member's health, load and rotation. */
  engines(): EnginePool[];
  /** Every live engine's eligibility and score for `request`, and which the strategy would pick now. */
  explainDispatch(request: DispatchRequest): DispatchExplanation;
}

/** The runtime's methods for tools (chipset/chaos, the host's metrics): the `Runtime` implements them. */
export interface ToolFacade {
  /** Every live instance of the instance table, whatever its state. */
  instances(): InstanceSummary[];
  /**
   * Injects `fault` inside the host of the instance at `address` (`id@version`): a crash nobody
   * can catch, or a heap leak until released. For chaos experiments. False when no such instance
   * is live.
   */
  faultHost(address: string, fault: HostFault): boolean;
  /**
   * Puts `interceptor` between calls and the modules they reach (chaos fault injection), until
   * the result is disposed; one at a time. While it is not `active`, calls pay one test.
   */
  interceptCalls(interceptor: CallInterceptor): Disposable;
  /**
   * Lets `observer` see every call settle and every attempt end (the host's Prometheus metrics),
   * after the runtime's own monitoring, until the result is disposed. It runs on every call:
   * keep it to a few field updates. What it throws is reported as `runtime.error`.
   */
  observeCalls(observer: CallObserver): Disposable;
}

/**
 * The runtime's grouped query and control objects (`runtime.triggers`, `.resources`,
 * `.replicas`, `.dispatch`, `.errors`, and the methods for engines and for tools) over its parts: reads refused once it is closed, changes
 * once it is closing (see `RuntimeState`).
 */
export function facadesOf(
  parts: Assembly,
  clock: Clock,
): {
  triggers: TriggerFacade;
  resources: ResourceQueries;
  replicas: ReplicaFacade;
  dispatch: DispatchFacade;
  errors: ErrorQueries;
  /** Execute and executeOn are the dispatch facade's, with the arguments spread (no copy on that path). */
  engines: Pick<EngineFacade, "engines" | "explainDispatch">;
  tools: ToolFacade;
} {
  const { state, triggers, resources, replicas, strategies, monitoring, engines, instances, healthChecks } =
    parts;
  const dispatch: DispatchFacade = {
    registerStrategy: (name, factory) => strategies.register(name, factory),
    registerHealthCheck: (check, options) => (state.assertOpen(), healthChecks.register(check, options)),
    strategies: () => strategies.names(),
    execute: (request, method, args, options = {}) => (
      state.assertOpen(),
      engines.execute(request, method, args, options.signal)
    ),
    executeOn: (key, method, args, options = {}) => (
      state.assertOpen(),
      engines.executeOn(key, method, args, options.signal)
    ),
  };
  return {
    triggers: {
      list: () => (state.assertReadable(), triggers.list()),
      callRoute: (method, path, arg, signal) => triggers.callRoute(method, path, arg, signal),
    },
    resources: {
      usage: (ref) => (state.assertReadable(), resources.usage(ref)),
      latest: (ref) => (state.assertReadable(), resources.latest(ref)),
      sampleNow: () => (state.assertReadable(), resources.sampleNow()),
      system: () => resources.system(),
      history: (ref, period) => (state.assertReadable(), resources.history(ref, period)),
      report: (options) => (state.assertReadable(), resources.report(options)),
    },
    replicas: {
      list: () => (state.assertReadable(), replicas.list()),
      scale: (ref, count) => (state.assertOpen(), replicas.scale(ref, count)),
    },
    dispatch,
    engines: {
      engines: () => (state.assertReadable(), engines.engines()),
      explainDispatch: (request) => (state.assertReadable(), engines.explain(request)),
    },
    errors: {
      recent: (filter) => (state.assertReadable(), monitoring.errors.recent(filter)),
      counts: (filter) => (state.assertReadable(), monitoring.errors.counts(filter)),
    },
    tools: {
      instances: () => {
        const now = clock.now();
        return Array.from(instances.all(), (inst) => summarize(inst, now));
      },
      faultHost: (address, fault) => {
        const inst = instances.get(address);
        if (inst === undefined) return false;
        inst.host.chaos(fault);
        return true;
      },
      interceptCalls: (interceptor) => parts.calls.intercept(interceptor),
      observeCalls: (observer) => parts.observers.add(observer),
    },
  };
}
