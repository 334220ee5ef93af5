import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { Emitter } from "../common/Emitter.js";
import { HostPool } from "../hosts/HostPool.js";
import { InlineCrashTrap } from "../hosts/InlineCrashTrap.js";
import type { Instance } from "../instances/Instance.js";
import { InstanceFactory } from "../instances/InstanceFactory.js";
import { InstanceTable } from "../instances/InstanceTable.js";
import { HookRegistry } from "../lifecycle/HookRegistry.js";
import { LifecycleRunner } from "../lifecycle/LifecycleRunner.js";
import { PolicyBook } from "../policies/PolicyBook.js";
import { KindRegistry } from "../registry/KindRegistry.js";
import type { Registry } from "../registry/Registry.js";
import { SupervisionStore } from "../supervision/SupervisionStore.js";
import { Supervisor } from "../supervision/Supervisor.js";
import { Activator, throwFirstFailure } from "./Activator.js";
import type { Assembly, RuntimeParts } from "./Assembly.js";
import { assembleDispatch } from "./assembleDispatch.js";
import { Catalog } from "./Catalog.js";
import { IdleScheduler } from "./IdleScheduler.js";
import { Loader } from "./Loader.js";
import { CallObservers } from "./CallObservers.js";
import { ModuleCalls } from "./ModuleCalls.js";
import { ModuleControl } from "./ModuleControl.js";
import { Monitoring } from "./Monitoring.js";
import { Resources } from "./Resources.js";
import { Registration } from "./Registration.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import { RuntimeLifecycle } from "./RuntimeLifecycle.js";
import { RuntimePolicies } from "./RuntimePolicies.js";
import { RuntimeQueries } from "./RuntimeQueries.js";
import { whyVersion } from "./whyVersion.js";
import { assembleUpdates } from "./assembleUpdates.js";
import { RuntimeState } from "./RuntimeState.js";
import { Probes } from "./Probes.js";
import { Triggers } from "./Triggers.js";
import { IntegrityCheck } from "../registry/IntegrityCheck.js";
import { ActiveVersions } from "../registry/ActiveVersions.js";
import { DesiredRuns } from "../registry/DesiredRuns.js";
import { UpdateRequests } from "../registry/UpdateRequests.js";
import { transitionGuard } from "./transitionGuard.js";
import { configEntry } from "./configEntry.js";
import { noProcesses } from "./runtimeEnvironment.js";
import { TransitionEvents } from "./TransitionEvents.js";
import type { LifecycleCommand } from "../vocabulary/lifecycle.js";

/**
 * Builds every part of a runtime and wires them: the one place that knows them all. Parts get
 * narrow views of each other (the instance table's reader side, a lifecycle port, event sinks);
 * where two parts need each other, the later one is reached through a closure.
 */
export function assemble(parts: RuntimeParts): Assembly {
  const { clock, logger, options, db, registry } = parts;
  const state = new RuntimeState();
  const events = new Emitter<RuntimeEvents>((error, name) =>
    logger.error({ err: error, event: name }, "an event listener threw"),
  );
  const onError = (context: string, error: unknown): void => events.emit("runtime.error", { context, error });
  const hooks = new HookRegistry();
  const kinds = new KindRegistry();
  const catalog = new Catalog(registry);
  const table = new InstanceTable();
  const pool = new HostPool({ ...options.hosts.pool, heartbeatMs: options.hosts.heartbeatMs });
  const trap = options.inlineCrashes ? new InlineCrashTrap(options.stallMs) : undefined;
  const store = new SupervisionStore(db);
  const probes = new Probes({
    clock,
    events,
    observed: (inst, probe, ok, error) => dispatch.replicaHealth.probed(inst, probe, ok, error?.message),
  });

  // Parts made further down (supervisor, activator, control, idle) are reached through closures
  // by parts made before them: a closure runs only once everything is made.
  const transitions: TransitionEvents = new TransitionEvents({
    clock,
    logger,
    events,
    transitioned: (inst, command) => {
      supervisor.transitioned(inst, command);
      probes.transitioned(inst, command);
      dispatch.replicas.transitioned(inst, command);
    },
  });
  const runner: LifecycleRunner<Instance> = new LifecycleRunner<Instance>({
    clock,
    hooks,
    guard: leased(
      registry,
      transitionGuard(parts.moduleConfig, table, new IntegrityCheck(registry.verified)),
    ),
    onTransition: (inst, command, from, to, durationMs) => {
      if (command === "unload" && inst.record.digest !== undefined && inst.replica === 0)
        registry.leases.release(inst.id, inst.version);
      transitions.transitioned(inst, command, from, to, durationMs);
    },
    onFailure: (report) => {
      const inst = report.subject;
      if (report.state === "registered" && inst.record.digest !== undefined && inst.replica === 0)
        registry.leases.release(inst.id, inst.version);
      transitions.failed(report);
    },
    onAfterHookError: (inst, command, error) => transitions.afterHookFailed(inst, command, error),
  });
  const dispatch = assembleDispatch({
    clock,
    events,
    table,
    runner,
    catalog,
    random: parts.random,
    defaultMax: options.environment.defaults.replicasMax.value,
    settings: options.dispatch,
    onError,
    closing: () => state.closing,
    dropCheckpoint: (inst) => store.dropCheckpoint(inst),
    later: () => ({ factory, control, supervisor, calls }),
  });
  const supervisor: Supervisor<Instance> = new Supervisor<Instance>({
    clock,
    random: parts.random,
    lifecycle: runner,
    instances: table,
    store,
    events,
    onError,
    defaults: options.restart,
    bringUp: async (inst) => {
      // A replica after the first comes back alone (its version's first replica is the plan's answer).
      if (inst.replica !== 0) return runner.advance(inst, "running");
      const plan = activator.plan([{ id: inst.id, range: inst.version }]);
      throwFirstFailure(await activator.bringUp(plan, "running"));
    },
    unloadReason: (inst, reason) => transitions.unloadReason(inst, reason),
    closing: () => state.closing,
    stillServed: (inst) => inst.group?.list().some((r) => r !== inst && r.takesCalls) === true,
  });
  const book = new PolicyBook(clock, events, options.calls);
  for (const [id, calls] of Object.entries(options.policies)) book.override(id, calls);
  const manifestOf = (id: string, range?: string) =>
    (table.answering(id, range)?.record ?? catalog.highest(id, range)?.record)?.manifest;
  const monitoring: Monitoring = new Monitoring({
    clock,
    logger,
    db,
    events,
    instances: table,
    anomalies: options.anomalies,
  });
  const resources = new Resources({
    clock,
    instances: table,
    settings: options.resources,
    dataDir: options.dataDir,
    onListenerError: (err) => onError("resources", err),
    db,
    calls: () => monitoring.anomalies?.takeIntervals(),
    restarts: (since, until) => store.restartsBetween(since, until),
    errors: (since, until) => monitoring.errors.countsBetween(since, until),
    events,
    logger,
    closing: () => state.closing,
    onError,
  });
  const observers = new CallObservers(monitoring, (err) => onError("call observer", err));
  const calls: ModuleCalls = new ModuleCalls({
    clock,
    random: parts.random,
    policies: book,
    events,
    observer: observers,
    instances: table,
    manifestOf,
    assertOpen: () => state.assertOpen(),
    ensureRunning: (ref, signal) => control.ensure(ref, "running", signal),
    count: (id) => idle.count(id),
    isDown: (key) => supervisor.isDown(key),
    useRange: (id) => options.use.get(id)?.range,
  });
  const factory: InstanceFactory = new InstanceFactory({
    clock,
    logger,
    intake: options.pause,
    hookTimeoutMs: options.hookTimeoutMs,
    hang: { timeoutMs: options.hosts.hangTimeoutMs, failureThreshold: options.hosts.hangFailureThreshold },
    configBase: (id, version) => configEntry(parts.moduleConfigBase, id, version),
    ceilings: options.permissions,
    kinds,
    pool,
    trap,
    table,
    noProcesses: noProcesses(options),
    call: (id, method, args, signal) => calls.call(id, method, args, signal),
    saveCheckpoint: (owner, value, maxBytes) => store.saveCheckpoint(owner, value, clock.wallNow(), maxBytes),
    onCrash: (inst, crash) => {
      // An inline module's calls in flight would never settle: they fail now, through their policies.
      if (inst.isolation === "inline") calls.crashed(inst, crash.error);
      probes.crashed(inst);
      void supervisor.crashed(inst, crash);
    },
    replicaStrategy: (manifest) => dispatch.strategyOf(manifest),
    inRotation: (inst) => dispatch.inRotation(inst),
    replicaJoined: (inst, candidate) => dispatch.replicaHealth.joined(inst, candidate),
    replicaLeft: (inst) => dispatch.replicaHealth.left(inst),
    onStall: (inst, method, durationMs) => {
      const suggestion = `set "isolation": "worker" in its manifest so it cannot block the runtime`;
      logger.warn(
        { module: inst.key, method, durationMs },
        `${inst.key}.${method} stalled the event loop; ${suggestion}`,
      );
      events.emit("module.stalled", { id: inst.id, version: inst.version, method, durationMs, suggestion });
    },
  });
  dispatch.observe(resources, observers);
  const active = new ActiveVersions(db, clock);
  const desired = new DesiredRuns(db, clock);
  const activator: Activator = new Activator({
    catalog,
    runner,
    instances: table,
    instantiate: (entry, beside) => factory.create(entry.record, entry.definition, beside),
    closing: () => state.closing,
    use: options.use,
    overrides: options.overrides,
    activeVersions: () => new Map(active.all().map((a) => [a.id, a.version])),
  });
  const control: ModuleControl = new ModuleControl({
    clock,
    hookTimeoutMs: options.hookTimeoutMs,
    catalog,
    instances: table,
    factory,
    runner,
    activator,
    supervisor,
    transitions,
    activationOf: (manifest) => kinds.activationOf(manifest),
    assertOpen: () => state.assertOpen(),
    onError,
    desired,
  });
  const idle: IdleScheduler = new IdleScheduler({
    clock,
    options,
    registry,
    instances: table,
    isCode: (id) => catalog.versions(id).some((v) => catalog.isCode(id, v)),
    isEager: (inst) => kinds.activationOf(inst.manifest) === "eager",
    preload: (id) => control.preload(id),
    unloadIdle: (inst) => control.unloadInstance(inst, "idle"),
    onError,
  });
  const triggers = new Triggers({
    clock,
    events,
    timeZone: options.triggers.timeZone,
    sources: () =>
      catalog
        .idsWhere((manifest) => (manifest.triggers?.length ?? 0) > 0)
        .flatMap((id) => {
          const record = catalog.get(id)?.record;
          return record === undefined ? [] : [{ id, version: record.version, manifest: record.manifest }];
        }),
    call: (id, method, args, signal) => calls.call(id, method, args, signal),
    onError,
  });
  events.on("module.registered", () => triggers.changed());
  events.on("module.removed", () => triggers.changed());
  const loader = new Loader({
    clock,
    activator,
    runner,
    assertOpen: () => state.assertOpen(),
    progress: (task, outcome, done, total) => events.emit("load.progress", { ...outcome, task, done, total }),
  });
  const registration = new Registration({
    clock,
    registry,
    catalog,
    instances: table,
    events,
    forget: (inst) => {
      factory.forget(inst);
      supervisor.forget(inst.key);
    },
    assertOpen: () => state.assertOpen(),
    check: (pkg, file, api) => triggers.check(pkg, file, api),
  });
  const { updater, watcher, history } = assembleUpdates({
    parts,
    events,
    onError,
    state,
    catalog,
    table,
    factory,
    activator,
    control,
    active,
    registration,
    calls,
    supervisor,
  });
  const lifecycle = new RuntimeLifecycle({
    clock,
    shutdownTimeoutMs: options.shutdownTimeoutMs,
    state,
    events,
    catalog,
    instances: table,
    runner,
    activator,
    control,
    supervisor,
    calls,
    idle,
    triggers,
    pool,
    trap,
    monitoring,
    resources,
    db,
    desired,
    releaseLeases: () => registry.leases.releaseAll(),
  });
  const queries = new RuntimeQueries(
    catalog,
    table,
    (requests) => activator.planOrder(requests),
    (id) => store.crashes(id),
    (inst) => probes.status(inst),
    (id, withRefs) =>
      whyVersion(
        {
          catalog,
          instances: table,
          planOrder: (requests, free) => activator.planOrder(requests, free),
          use: options.use,
          overrides: options.overrides,
          eagerIds: () => control.idsWhere((activation) => activation === "eager"),
        },
        id,
        withRefs,
      ),
    { configs: { values: parts.moduleConfig, origins: parts.moduleConfigOrigins }, history },
  );
  const policies = new RuntimePolicies(book, (id) => manifestOf(id));
  return {
    state,
    events,
    hooks,
    kinds,
    instances: table,
    calls,
    loader,
    control,
    registration,
    updater,
    requests: new UpdateRequests(db, clock),
    watcher,
    lifecycle,
    queries,
    policies,
    monitoring,
    observers,
    resources,
    supervisor,
    pool,
    trap,
    probes,
    desired,
    triggers,
    ...dispatch,
  };
}

/**
 * `guard`, followed before each `load` of an installed module version by a lease on it in the
 * database, so that a `remove` from another process is refused while this runtime has it loaded.
 */
function leased(
  registry: Registry,
  guard: (inst: Instance, command: LifecycleCommand) => void,
): (inst: Instance, command: LifecycleCommand) => void {
  return (inst, command) => {
    if (command === "load" && registry.readOnly) {
      throw new ChipsetError(
        ErrorCodes.STORE_FAILED,
        `${inst.key} cannot be loaded: this runtime opened ${registry.dataDir} read-only, to look only. ` +
          "Open it without readOnly to run modules.",
        { module: inst.key, details: { reason: "read-only", path: registry.dataDir } },
      );
    }
    guard(inst, command);
    if (command === "load" && inst.record.digest !== undefined)
      registry.leases.acquire(inst.id, inst.version);
  };
}
