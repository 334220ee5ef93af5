import type { Disposable } from "../common/Disposable.js";
import type { StrategyFactory } from "../dispatch/strategies.js";
import type { DispatchRequest } from "../vocabulary/dispatch.js";
import type { Assembly } from "./Assembly.js";
import type { HealthCheck, HealthCheckOptions } from "./HealthChecks.js";
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
   * 1 s); its verdict moves the instance's health as a probe does. Dispose to stop it.
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

/**
 * The runtime's grouped query and control objects (`runtime.triggers`, `.resources`,
 * `.replicas`, `.dispatch`, `.errors`) over its parts: reads refused once it is closed, changes
 * once it is closing (see `RuntimeState`).
 */
export function facadesOf(parts: Assembly): {
  triggers: TriggerFacade;
  resources: ResourceQueries;
  replicas: ReplicaFacade;
  dispatch: DispatchFacade;
  errors: ErrorQueries;
} {
  const { state, triggers, resources, replicas, strategies, monitoring, engines, healthChecks } = parts;
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
    dispatch: {
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
    },
    errors: {
      recent: (filter) => (state.assertReadable(), monitoring.errors.recent(filter)),
      counts: (filter) => (state.assertReadable(), monitoring.errors.counts(filter)),
    },
  };
}
