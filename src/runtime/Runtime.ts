import type { Clock } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";
import type { Listener } from "../common/Emitter.js";
import type { AppHook, HookPoint, HookScope } from "../lifecycle/HookRegistry.js";
import type { ModuleDefinition, ModuleHealth, ModuleProxy } from "../module.js";
import type { ResourceQueries } from "./Resources.js";
import type { EnginePool } from "./Engines.js";
import type { DispatchExplanation } from "../dispatch/strategies.js";
import type { DispatchRequest } from "../vocabulary/dispatch.js";
import type { AnomalySnapshot } from "../monitoring/AnomalyDetector.js";
import type { DesiredRun } from "../registry/DesiredRuns.js";
import type { KindDefinition } from "../registry/KindRegistry.js";
import type { AddResult, Registry } from "../registry/Registry.js";
import type { ScanReport } from "../registry/scanModuleDirs.js";
import type { HostFault } from "../vocabulary/hosts.js";
import type { ModuleRecord, PackageManifest } from "../vocabulary/manifest.js";
import type { ModuleOutcome } from "./Activator.js";
import { assemble } from "./assemble.js";
import {
  facadesOf,
  type DispatchFacade,
  type EngineFacade,
  type ReplicaFacade,
  type ToolFacade,
  type TriggerFacade,
} from "./facades.js";
import type { InstanceSummary } from "./instanceSummary.js";
export type { InstanceSummary } from "./instanceSummary.js";
import type { Assembly, RuntimeParts } from "./Assembly.js";
import type { CallInterceptor } from "./CallInterceptor.js";
import type { LoadReport, LoadTask } from "./Loader.js";
import type { AnyApi } from "./ModuleCalls.js";
import type { CallObserver, CallOutcome } from "./CallObserver.js";
import type { ControlOptions } from "./ModuleControl.js";
import type { ErrorQueries } from "./Monitoring.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import type { RuntimePolicies } from "./RuntimePolicies.js";
import type { RuntimeQueries } from "./RuntimeQueries.js";
import type { ShutdownReport } from "./shutdown.js";
import type { RuntimePhase } from "./RuntimeState.js";

export type { ControlOptions } from "./ModuleControl.js";
import type { UpdateOptions, UpdateReport } from "./updateReport.js";
import type { RequestedOutcome, UpdateRequestOptions } from "./requestUpdate.js";
import { RuntimeUpdates, type UpdateFacade } from "./RuntimeUpdates.js";
import type { UpdateCheckReport } from "./findUpdates.js";
import type { CheckUpdatesOptions } from "./UpdateWatcher.js";
import type { EnvironmentReport } from "../environment/EnvironmentReport.js";

/** The arguments of a call made without any (shared: a call never changes its arguments). */
const noArgs: readonly unknown[] = Object.freeze([]);
export type { RuntimeParts } from "./Assembly.js";

/**
 * The runtime: hands out module proxies (`use`), drives the lifecycle, resolves dependencies
 * and versions, loads on demand, preloads and unloads when idle, and emits typed events. A thin
 * facade over its parts (see docs/architecture.md): registration, control, calls, loading,
 * queries, policies, monitoring and its own start and close. Create it with `createRuntime()`.
 */
export class Runtime implements UpdateFacade, EngineFacade, ToolFacade {
  /** Query side: list, info, dependencies, dependents, order, tree. */
  readonly queries: RuntimeQueries;
  /** Call policies at run time: overrides, fallback answers, isolation, breaker states. */
  readonly policies: RuntimePolicies;
  /** Every error the runtime raised or passed on: recent ones with their context, and counts by code and module. */
  readonly errors: ErrorQueries;
  /**
   * The modules' triggers: `list()` every cron and HTTP trigger with its next run and last
   * outcome; `callRoute(method, path, arg)` answers an HTTP trigger as the host does under `/t`.
   */
  readonly triggers: TriggerFacade;
  /**
   * What every loaded module uses of the machine: counters since its load (`usage`), the latest
   * sample of CPU, memory, disk and network (`latest`), sampled every `resources.sampleMs`; the
   * stored samples (`history`) and reports over a period (`report`).
   */
  readonly resources: ResourceQueries;
  /**
   * The replicas of modules whose manifest has `replicas` (see docs/dispatch.md): `list()` each
   * replicated module's desired and current count; `scale(ref, count)` sets how many run.
   */
  readonly replicas: ReplicaFacade;
  /**
   * How calls pick among replicas and engines (see docs/dispatch.md): `registerStrategy(name,
   * factory)` adds a strategy a manifest or a request may name (validated as the built-ins are;
   * dispose the result to take it back), `strategies()` lists every name.
   */
  readonly dispatch: DispatchFacade;
  /** What the start-up scan of module directories found (set by `createRuntime`). */
  lastScan: ScanReport = { added: [], replaced: [], unchanged: [], rejected: [] };
  private readonly parts: Assembly;
  private readonly updates: RuntimeUpdates;
  private readonly engineMethods: Pick<EngineFacade, "engines" | "explainDispatch">;
  private readonly tools: ToolFacade;

  constructor(private readonly made: RuntimeParts) {
    const parts = (this.parts = assemble(made));
    this.queries = parts.queries;
    this.policies = parts.policies;
    const facades = facadesOf(parts, made.clock);
    this.triggers = facades.triggers;
    this.resources = facades.resources;
    this.replicas = facades.replicas;
    this.dispatch = facades.dispatch;
    this.errors = facades.errors;
    this.engineMethods = facades.engines;
    this.tools = facades.tools;
    this.updates = new RuntimeUpdates(parts, made);
  }

  /** Data directory in use (absolute). */
  get dataDir(): string {
    return this.made.options.dataDir;
  }

  /** What the runtime runs on (each verdict with its evidence), what it can do, and the defaults adapted to it; detected at creation. */
  environment(): EnvironmentReport {
    return this.made.options.environment;
  }

  /** The persistent registry (add, remove, queries on installed versions). */
  get registry(): Registry {
    return this.made.registry;
  }

  /** Where the runtime itself is: `created` (until `start()` has brought the eager modules up), `started`, `closing`, `closed`. */
  get phase(): RuntimePhase {
    return this.parts.state.phase;
  }

  /** The clock the runtime keeps time by (deadlines, backoff, events' durations). */
  get clock(): Clock {
    return this.made.clock;
  }

  // ---- events, hooks, kinds -------------------------------------------------------------

  /** Subscribes to a runtime event; dispose the result to unsubscribe. */
  on<K extends keyof RuntimeEvents>(name: K, fn: Listener<RuntimeEvents[K]>): Disposable {
    return this.parts.events.on(name, fn);
  }

  /** Adds an application hook around a transition (`before:start`, `after:stop`, ...), for one module, one kind or all. */
  hook(point: HookPoint, fn: AppHook, scope: HookScope = {}): Disposable {
    return this.parts.hooks.add(point, fn, scope);
  }

  /** Registers a module kind with its defaults (kinds are open; registering one is optional). */
  registerKind(kind: KindDefinition): void {
    this.parts.kinds.register(kind);
  }

  /** Registered kinds. */
  listKinds(): KindDefinition[] {
    return this.parts.kinds.list();
  }

  // ---- registration ---------------------------------------------------------------------

  /**
   * Installs a module version from a directory into the registry (validated, copied, one
   * transaction); `status` says whether it was new, replaced changed content, or was unchanged.
   * `options.source` is recorded as where it came from (default: the absolute directory).
   */
  add(dir: string, options: { source?: string } = {}): AddResult {
    return this.parts.registration.add(dir, options.source === undefined ? {} : { source: options.source });
  }

  /**
   * Removes one version, or every version, from the registry; refused (`CHIP_ERR_MODULE_IN_USE`)
   * while an instance of it is active here or loaded by a runtime in another process. Returns the
   * removed versions, highest first.
   */
  remove(ref: string): string[] {
    return this.parts.registration.remove(ref);
  }

  /** Registers every module found in `dirs` (each a module or a folder of modules); bad ones are reported, not thrown. */
  scan(dirs: readonly string[]): ScanReport {
    return this.parts.registration.scan(dirs);
  }

  /**
   * Registers a module in code: the same validation and lifecycle as a directory module, kept
   * in memory for the life of this runtime. `manifest` has the package.json shape.
   */
  register(manifest: PackageManifest, implementation: ModuleDefinition): ModuleRecord {
    return this.parts.registration.register(manifest, implementation);
  }

  // ---- use and calls --------------------------------------------------------------------

  /**
   * A proxy to module `ref` (`id` or `id@range`), returned at once: its first call loads the
   * module and its dependencies and brings them to `running`. Every method returns a promise.
   * Names that code and tools probe objects with (`then`, `toJSON`, `toString`, `inspect`...)
   * are answered by the proxy itself; call such a method with {@link call}.
   */
  use<Api extends object = AnyApi>(ref: string): ModuleProxy<Api> {
    return this.parts.calls.use(ref) as unknown as ModuleProxy<Api>;
  }

  /** Calls `method` of module `ref` with `args`, loading and starting it on demand. */
  call(
    ref: string,
    method: string,
    args: readonly unknown[] = noArgs,
    options?: { signal?: AbortSignal },
  ): Promise<unknown> {
    return this.parts.calls.call(ref, method, args, options?.signal);
  }

  /**
   * Calls `method` of `ref` like {@link call}, but resolves with how it went instead of
   * rejecting: the value or the error, which fallback answered, attempts and duration.
   */
  callDetailed(
    ref: string,
    method: string,
    args: readonly unknown[] = [],
    options: { signal?: AbortSignal } = {},
  ): Promise<CallOutcome> {
    return this.parts.calls.callDetailed(ref, method, args, options.signal);
  }

  /**
   * The module's own health (its `health()`, within `hookTimeoutMs`), or `{ ok: false }` with
   * the reason when it is not running. A module without `health()` is healthy while it runs.
   */
  health(ref: string): Promise<ModuleHealth> {
    return this.parts.control.health(ref);
  }

  // ---- loading --------------------------------------------------------------------------

  /**
   * Loads (imports, without init) one or more modules and their dependencies, level by level,
   * each level in parallel. Rejects with the first failure; `details.outcomes` has them all.
   */
  load(refs: string | readonly string[], options: { signal?: AbortSignal } = {}): Promise<LoadReport> {
    return this.parts.loader.load(refs, options.signal);
  }

  /** Starts a batch load in the background; progress arrives as `load.progress` events tagged with `task`. */
  loadInBackground(refs: string | readonly string[], options: { signal?: AbortSignal } = {}): LoadTask {
    return this.parts.loader.loadInBackground(refs, options.signal);
  }

  /**
   * Loads a module (and its dependencies) synchronously: possible for modules registered in
   * code and for file modules without top-level await. Otherwise `CHIP_ERR_SYNC_LOAD_UNSUPPORTED`.
   */
  loadSync(ref: string): void {
    this.parts.loader.loadSync(ref);
  }

  // ---- control --------------------------------------------------------------------------

  /** Loads if needed and runs `init` (lazy init made explicit). */
  init(ref: string, options: ControlOptions = {}): Promise<void> {
    return this.parts.control.init(ref, options);
  }

  /** Pauses a running module: new calls wait (bounded) while in-flight calls finish. */
  pause(ref: string, options: ControlOptions = {}): Promise<void> {
    return this.parts.control.pause(ref, options);
  }

  /** Resumes a paused module and releases the calls that waited. */
  resume(ref: string, options: ControlOptions = {}): Promise<void> {
    return this.parts.control.resume(ref, options);
  }

  /** Stops a module; refused while dependents run unless `cascade` (then they stop first). */
  stop(ref: string, options: ControlOptions = {}): Promise<void> {
    return this.parts.control.stop(ref, options);
  }

  /** Unloads a module (stopping it first if needed); refused while dependents run unless `cascade`. */
  unload(ref: string, options: ControlOptions = {}): Promise<void> {
    return this.parts.control.unload(ref, options);
  }

  /** Starts every module whose `activation.onEvent` lists `event`; resolves with their outcomes. */
  activate(event: string, options: ControlOptions = {}): Promise<ModuleOutcome[]> {
    return this.parts.control.activate(event, options);
  }

  // ---- hot update (documented on UpdateFacade) -----------------------------------------------

  update(id: string, options?: UpdateOptions): Promise<UpdateReport> {
    return this.updates.update(id, options);
  }

  rollback(id: string, options?: Omit<UpdateOptions, "from" | "version">): Promise<UpdateReport> {
    return this.updates.rollback(id, options);
  }

  requestUpdate(id: string, options?: UpdateRequestOptions): Promise<RequestedOutcome> {
    return this.updates.requestUpdate(id, options);
  }

  serveUpdateRequests(pollMs?: number): void {
    this.updates.serveUpdateRequests(pollMs);
  }

  checkUpdates(options?: CheckUpdatesOptions): Promise<UpdateCheckReport> {
    return this.updates.checkUpdates(options);
  }

  // ---- the runtime's own lifecycle --------------------------------------------------------

  /**
   * With no argument: starts the runtime: eager modules come up level by level (but those an
   * operator stopped, see {@link desiredRuns}), then the modules an operator started, then idle
   * work begins (preloading the most used modules, unloading idle ones). Rejects with the first
   * eager failure (`details.outcomes` lists every module); a module an operator started that
   * fails to come back is reported (`module.failed`) and does not fail the start. Idempotent: a
   * second call shares the first. With `ref`: brings that module and its dependencies to
   * `running` (with `persist`, recorded as the operator's wish).
   */
  async start(): Promise<ModuleOutcome[]>;
  async start(ref: string, options?: ControlOptions): Promise<void>;
  async start(ref?: string, options: ControlOptions = {}): Promise<ModuleOutcome[] | void> {
    if (ref === undefined) return this.parts.lifecycle.start(options.signal);
    this.parts.state.assertOpen();
    await this.parts.control.start(ref, options);
  }

  /**
   * Stops every module in reverse dependency order (each level in parallel) within the shutdown
   * deadline, saves usage statistics and closes the store. Idempotent: later calls share the first.
   */
  close(): Promise<ShutdownReport> {
    this.updates.close();
    this.parts.probes.close();
    return this.parts.lifecycle.close();
  }

  /**
   * What operators last asked of modules through the host (a control call with `persist`),
   * by id: `running` or `stopped`. A started runtime brings it back (see {@link start}).
   */
  desiredRuns(): DesiredRun[] {
    this.parts.state.assertReadable();
    return this.parts.desired.all();
  }

  // ---- monitoring -------------------------------------------------------------------------

  /** Latency and error-rate baselines per module and method, heap trends, and the anomalies in progress. */
  anomalies(): AnomalySnapshot {
    return this.parts.monitoring.anomalies?.snapshot() ?? { calls: [], memory: [], versions: [] };
  }

  // ---- engines, document 004 (documented on EngineFacade) -------------------------------------

  execute(request: DispatchRequest, method: string, ...args: unknown[]): Promise<unknown> {
    return this.dispatch.execute(request, method, args);
  }

  executeOn(key: string, method: string, ...args: unknown[]): Promise<unknown> {
    return this.dispatch.executeOn(key, method, args);
  }

  engines(): EnginePool[] {
    return this.engineMethods.engines();
  }

  explainDispatch(request: DispatchRequest): DispatchExplanation {
    return this.engineMethods.explainDispatch(request);
  }

  // ---- for tools: chipset/chaos, the host's metrics (documented on ToolFacade) ---------------

  instances(): InstanceSummary[] {
    return this.tools.instances();
  }

  faultHost(address: string, fault: HostFault): boolean {
    return this.tools.faultHost(address, fault);
  }

  interceptCalls(interceptor: CallInterceptor): Disposable {
    return this.tools.interceptCalls(interceptor);
  }

  observeCalls(observer: CallObserver): Disposable {
    return this.tools.observeCalls(observer);
  }
}
