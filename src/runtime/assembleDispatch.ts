import type { Clock } from "../common/Clock.js";
import type { Emitter } from "../common/Emitter.js";
import { StrategyRegistry } from "../dispatch/strategies.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceFactory } from "../instances/InstanceFactory.js";
import type { ReplicaStrategy } from "../instances/ReplicaGroup.js";
import type { InstanceTable } from "../instances/InstanceTable.js";
import type { LifecycleRunner } from "../lifecycle/LifecycleRunner.js";
import type { Supervisor } from "../supervision/Supervisor.js";
import type { ChipsetManifest } from "../vocabulary/manifest.js";
import type { DispatchSettings } from "../vocabulary/dispatch.js";
import { requestOf } from "./Activator.js";
import { Autoscaling } from "./Autoscaling.js";
import type { Catalog } from "./Catalog.js";
import type { CallObservers } from "./CallObservers.js";
import { Engines } from "./Engines.js";
import { HealthChecks } from "./HealthChecks.js";
import type { ModuleCalls } from "./ModuleCalls.js";
import type { ModuleControl } from "./ModuleControl.js";
import { ReplicaHealthWatch } from "./ReplicaHealthWatch.js";
import { Replicas } from "./Replicas.js";
import type { Resources } from "./Resources.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";

/** What the dispatch parts need: the runtime's base parts, and the ones made after them (reached when first used). */
export interface DispatchWiring {
  clock: Clock;
  events: Emitter<RuntimeEvents>;
  table: InstanceTable;
  runner: LifecycleRunner<Instance>;
  catalog: Catalog;
  random: () => number;
  /** `replicas.max` when a manifest does not set it (the environment's adapted default). */
  defaultMax: number;
  /** Document 004's manager settings (`dispatch` options). */
  settings: DispatchSettings;
  onError: (context: string, error: unknown) => void;
  /** True once the runtime is closing. */
  closing: () => boolean;
  /** Deletes the checkpoint of a replica scaled away. */
  dropCheckpoint: (inst: Instance) => void;
  later(): {
    factory: InstanceFactory;
    control: ModuleControl;
    supervisor: Supervisor<Instance>;
    calls: ModuleCalls;
  };
}

/** Replicas, their health and scaling, the strategies and the engine pools (see docs/dispatch.md). */
export interface DispatchParts {
  strategies: StrategyRegistry;
  replicas: Replicas;
  replicaHealth: ReplicaHealthWatch;
  /** The health checks applications register (`runtime.dispatch.registerHealthCheck`). */
  healthChecks: HealthChecks;
  engines: Engines;
  /** A replica or engine takes calls from the dispatcher unless down, draining, ejected or unhealthy. */
  inRotation(inst: Instance): boolean;
  /** The strategy of a replicated module's group, from its manifest. */
  strategyOf(manifest: ChipsetManifest): ReplicaStrategy;
  /** Feeds health and autoscaling from what the runtime observes (calls, resource samples). */
  observe(resources: Resources, observers: CallObservers): void;
}

/** Builds the dispatch parts and wires them to each other (see {@link DispatchWiring}). */
export function assembleDispatch(w: DispatchWiring): DispatchParts {
  const { clock, events, table, runner, catalog, onError, defaultMax } = w;
  const strategies = new StrategyRegistry();
  const replicas: Replicas = new Replicas({
    clock,
    events,
    instances: table,
    runner,
    create: (first, replica) => w.later().factory.replicaOf(first, replica, undefined),
    unload: (inst, reason) => w.later().control.unloadInstance(inst, reason),
    forget: (inst) => {
      w.later().factory.forget(inst);
      w.later().supervisor.forget(inst.key);
    },
    isDown: (key) => w.later().supervisor.isDown(key),
    closing: w.closing,
    drainTimeoutMs: w.settings.stopTimeoutMs,
    answering: (ref) => {
      const { id, range } = requestOf(ref);
      return table.answering(id, range);
    },
    installed: (ref) => {
      const { id, range } = requestOf(ref);
      return catalog.highest(id, range)?.record;
    },
    onError,
    defaultMax,
    healthOf: (inst) => replicaHealth.memberOf(inst),
    dropCheckpoint: w.dropCheckpoint,
  });
  const replicaHealth = new ReplicaHealthWatch({
    clock,
    events,
    instances: table,
    recycle: (inst) => replicas.recycle(inst),
    onError,
  });
  const healthChecks = new HealthChecks({
    clock,
    instances: table,
    checked: (inst, check, ok, reason) => replicaHealth.checked(inst, check, ok, reason),
  });
  events.on("runtime.stopped", () => {
    healthChecks.dispose();
    replicaHealth.dispose();
  });
  const inRotation = (inst: Instance): boolean =>
    !w.later().supervisor.isDown(inst.key) && replicas.inRotation(inst) && replicaHealth.inRotation(inst);
  const engines = new Engines({
    clock,
    settings: w.settings,
    instances: table,
    strategies,
    random: w.random,
    installedEngines: (type) =>
      catalog.idsWhere((m) => m.engine !== undefined && (type === undefined || m.engine.type === type)),
    ensureRunning: (id, signal) => w.later().control.ensure(id, "running", signal),
    callInstance: (inst, method, args, signal) => w.later().calls.callInstance(inst, method, args, signal),
    inRotation,
    healthOf: (inst) => replicaHealth.healthOf(inst),
  });
  const autoscaling = new Autoscaling({ clock, instances: table, replicas, defaultMax, onError });
  return {
    strategies,
    replicas,
    replicaHealth,
    healthChecks,
    engines,
    inRotation,
    strategyOf: (manifest) => {
      const { strategy = "round_robin", hash, activeRequestBias } = manifest.replicas ?? {};
      return strategies.create(strategy, {
        random: w.random,
        ...(hash === undefined ? {} : { hash }),
        ...(activeRequestBias === undefined ? {} : { activeRequestBias }),
      });
    },
    observe: (resources, observers) => {
      observers.add(replicaHealth);
      observers.add(engines);
      resources.sampler.onSamples((samples) => {
        replicaHealth.sampled(samples);
        autoscaling.sampled(samples);
      });
    },
  };
}
