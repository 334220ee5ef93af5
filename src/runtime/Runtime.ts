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
import { facadesOf, type DispatchFacade, type ReplicaFacade, type TriggerFacade } from "./facades.js";
import { summarize, type InstanceSummary } from "./instanceSummary.js";
export type { InstanceSummary } from "./instanceSummary.js";
import type { Assembly, RuntimeParts } from "./Assembly.js";
import type { CallInterceptor } from "./CallInterceptor.js";
import type { LoadReport, LoadTask } from "./Loader.js";
import type { AnyApi } from "./ModuleCalls.js";
import type { CallObserver, CallOutcome } from "./CallObserver.js";
import type { ControlOptions } from "./ModuleControl.js";
import type { ErrorQueries } from "./Monitoring.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import type { RuntimePolicies } from "./RuntimePolicies.js";
import type { RuntimeQueries } from "./RuntimeQueries.js";
import type { ShutdownReport } from "./shutdown.js";
import type { RuntimePhase } from "./RuntimeState.js";

export type { ControlOptions } from "./ModuleControl.js";
import type { UpdateOptions, UpdateReport } from "./updateReport.js";
import { requestUpdate, type RequestedOutcome, type UpdateRequestOptions } from "./requestUpdate.js";
import { UpdateRequestServer } from "./UpdateRequestServer.js";
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
export class Runtime {
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
  private server: UpdateRequestServer | undefined;

  constructor(private readonly made: RuntimeParts) {
    const parts = (this.parts = assemble(made));
    this.queries = parts.queries;
    this.policies = parts.policies;
    const facades = facadesOf(parts);
    this.triggers = facades.triggers;
    this.resources = facades.resources;
    this.replicas = facades.replicas;
    this.dispatch = facades.dispatch;
    this.errors = facades.errors;
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
   */
  add(dir: string): AddResult {
    return this.parts.registration.add(dir);
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

  // ---- hot update -------------------------------------------------------------------------

  /**
   * Updates module `id` to a new version while it keeps serving (blue-green): fetches it (from
   * `options.from`, an installed version, or the config's registries) and verifies its integrity
   * and signature, installs it, starts it beside the running version, checks it (`health()` and
   * its manifest's `update.verify` calls), with `strategy: "canary"` sends it a share of the
   * calls for a while and judges it against the old version, switches calls to it in one step
   * with the old version's state (`exportState` / `importState`), watches it for `graceMs` and
   * retires the old version (stopped, unloaded, kept installed). Rejects with
   * `CHIP_ERR_UPDATE_FAILED` (the old version serves; `cause` says why, `details.report` which
   * step), `CHIP_ERR_INTEGRITY_MISMATCH`, or `CHIP_ERR_OPTIONS_INVALID` for malformed options.
   */
  update(id: string, options?: UpdateOptions): Promise<UpdateReport> {
    return this.parts.updater.update(id, options);
  }

  /**
   * Updates `id` back to the version its last update (or rollback) replaced, the same way. The
   * data directory records it, so a rollback works after a restart and from another process.
   */
  rollback(id: string, options?: Omit<UpdateOptions, "from" | "version">): Promise<UpdateReport> {
    return this.parts.updater.rollback(id, options);
  }

  /**
   * Updates or rolls back `id` where it runs: when a host (a runtime that called
   * {@link serveUpdateRequests}, as `chipset start` does) runs on this data directory, the request
   * is left for it and its outcome awaited; else the update runs in this runtime.
   */
  requestUpdate(id: string, options: UpdateRequestOptions = {}): Promise<RequestedOutcome> {
    this.parts.state.assertOpen();
    return requestUpdate({ ...this.parts, clock: this.made.clock }, id, options);
  }

  /**
   * Makes this runtime the data directory's host until it closes: update and rollback requests
   * from other processes ({@link requestUpdate}, `chipset update`) are taken and run here, one at
   * a time; they are looked for every `pollMs` (default 200 ms). Idempotent.
   */
  serveUpdateRequests(pollMs?: number): void {
    this.parts.state.assertOpen();
    if (this.made.registry.readOnly)
      throw new ChipsetError(
        ErrorCodes.OPTIONS_INVALID,
        `this runtime opened ${this.dataDir} read-only: it cannot run updates; open it writable to serve update requests`,
        { details: { field: "readOnly" } },
      );
    this.server ??= new UpdateRequestServer(
      { ...this.parts, clock: this.made.clock, db: this.made.db },
      pollMs,
    );
  }

  /**
   * Looks for new versions now, in the module directories and the config's registries (as the
   * started runtime does every `updates.intervalMs`), announces the newly seen ones
   * (`update.available`) and answers each installed module with a newer version (`current`,
   * `wanted`, `latest`, `source`) and each source that failed; applies nothing.
   */
  checkUpdates(options?: CheckUpdatesOptions): Promise<UpdateCheckReport> {
    this.parts.state.assertOpen();
    return this.parts.watcher.check(options);
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
    this.server?.dispose();
    this.parts.watcher.close();
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

  // ---- engines (document 004) ----------------------------------------------------------------

  /**
   * Calls `method` with `args` on the engine `request` picks: its `type` (a hard filter), required
   * `capabilities`, `key` (hashing, affinity), preferred `labels` and `strategy` (default `score`,
   * document 004's weighted score). Starts the pool's modules when none runs; an idempotent call
   * that fails by the engine's doing is tried on another (up to three).
   */
  execute(request: DispatchRequest, method: string, ...args: unknown[]): Promise<unknown> {
    return this.dispatch.execute(request, method, args);
  }

  /** Calls `method` with `args` on the engine instance at `key` (`id@version`, `#replica` after the first). */
  executeOn(key: string, method: string, ...args: unknown[]): Promise<unknown> {
    return this.dispatch.executeOn(key, method, args);
  }

  /** Every engine pool (modules with an `engine` section, by type) with each live member's health, load and rotation. */
  engines(): EnginePool[] {
    this.parts.state.assertReadable();
    return this.parts.engines.engines();
  }

  /** Every live engine's eligibility and score for `request`, and which the strategy would pick now. */
  explainDispatch(request: DispatchRequest): DispatchExplanation {
    this.parts.state.assertReadable();
    return this.parts.engines.explain(request);
  }

  // ---- for tools (chipset/chaos and the like) ---------------------------------------------

  /** Every live instance of the instance table, whatever its state. */
  instances(): InstanceSummary[] {
    const now = this.made.clock.now();
    return Array.from(this.parts.instances.all(), (inst) => summarize(inst, now));
  }

  /**
   * Injects `fault` inside the host of the instance at `address` (`id@version`): a crash nobody
   * can catch, or a heap leak until released. For chaos experiments. False when no such instance
   * is live.
   */
  faultHost(address: string, fault: HostFault): boolean {
    const inst = this.parts.instances.get(address);
    if (inst === undefined) return false;
    inst.host.chaos(fault);
    return true;
  }

  /**
   * Puts `interceptor` between calls and the modules they reach (chaos fault injection), until
   * the result is disposed; one at a time. While it is not `active`, calls pay one test.
   */
  interceptCalls(interceptor: CallInterceptor): Disposable {
    return this.parts.calls.intercept(interceptor);
  }

  /**
   * Lets `observer` see every call settle and every attempt end (the host's Prometheus metrics),
   * after the runtime's own monitoring, until the result is disposed. It runs on every call:
   * keep it to a few field updates. What it throws is reported as `runtime.error`.
   */
  observeCalls(observer: CallObserver): Disposable {
    return this.parts.observers.add(observer);
  }
}
