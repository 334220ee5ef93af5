import type { Logger } from "pino";
import type { Clock } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";
import { race } from "../common/race.js";
import { Emitter, type Listener } from "../common/Emitter.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { HookRegistry, type AppHook, type HookPoint, type HookScope } from "../lifecycle/HookRegistry.js";
import { LifecycleRunner } from "../lifecycle/LifecycleRunner.js";
import type { ModuleDefinition, ModuleHealth, ModuleProxy } from "../module.js";
import type { Activation, ModuleRecord, PackageManifest, ChipsetManifest } from "../vocabulary/manifest.js";
import { type LifecycleCommand, type LifecycleState, stateIsActive } from "../vocabulary/lifecycle.js";
import { parseModuleRef } from "../vocabulary/moduleRef.js";
import type { AddResult, Registry } from "../registry/Registry.js";
import { validatePackageManifest } from "../registry/validateManifest.js";
import { scanModuleDirs, type ScanReport } from "../registry/scanModuleDirs.js";
import type { Database } from "../store/Database.js";
import { Activator, requestOf, throwFirstFailure, type ModuleOutcome } from "./Activator.js";
import { Catalog } from "./Catalog.js";
import type { Instance } from "../instances/Instance.js";
import { InstanceFactory } from "./InstanceFactory.js";
import { KindRegistry, type KindDefinition } from "../registry/KindRegistry.js";
import { RuntimeQueries } from "./RuntimeQueries.js";
import type { ResolvedOptions } from "./RuntimeOptions.js";
import type { RuntimeEvents, UnloadReason } from "./RuntimeEvents.js";
import { IdleScheduler } from "./IdleScheduler.js";
import { shutdownInstances, type ShutdownReport } from "./shutdown.js";
import { stopDependents } from "./dependents.js";
import { ModuleCalls, type AnyApi, type CallOutcome } from "./ModuleCalls.js";
import { Loader, type LoadReport, type LoadTask } from "./Loader.js";
import { HostPool } from "../hosts/isolated/HostPool.js";
import { isPooled } from "../hosts/isolated/hostSpec.js";
import { InlineCrashTrap } from "../hosts/InlineCrashTrap.js";
import { SupervisionStore } from "../supervision/SupervisionStore.js";
import { Supervisor } from "../supervision/Supervisor.js";
import { PolicyBook } from "../policies/PolicyBook.js";
import { ChaosEngine } from "../chaos/ChaosEngine.js";
import { Monitoring, type ErrorQueries } from "./Monitoring.js";
import type { AnomalySnapshot } from "../monitoring/AnomalyDetector.js";
import { RuntimePolicies } from "./RuntimePolicies.js";

/** Options of the control methods. */
export interface ControlOptions {
  signal?: AbortSignal;
  /** For stop/unload: also stop running dependents first (reverse order). Default false. */
  cascade?: boolean;
}

/** What `health` gets when the module's `health()` did not answer in time. */
const timedOut: unique symbol = Symbol("timed out");

/** What `createRuntime` hands to the constructor. */
export interface RuntimeParts {
  options: ResolvedOptions;
  clock: Clock;
  logger: Logger;
  db: Database;
  registry: Registry;
  moduleConfig: Record<string, unknown>;
  /** Random numbers in [0, 1) (backoff jitter). */
  random: () => number;
  /** Where relative paths in each module's configuration start (absent: the working directory). */
  moduleConfigBase: Record<string, string>;
}

/**
 * The runtime: the one place that knows every concept. It hands out module proxies (`use`),
 * drives the lifecycle, resolves dependencies and versions, loads on demand, preloads and
 * unloads when idle, and emits typed events. Create it with `createRuntime()`.
 */
export class Runtime {
  /** Query side: list, info, dependencies, dependents, order, tree. */
  readonly queries: RuntimeQueries;
  /** Call policies at run time: overrides, fallback answers, isolation, breaker states. */
  readonly policies: RuntimePolicies;
  /** Fault injection for chaos experiments; off until `chaos.enable(seed)`. */
  readonly chaos: ChaosEngine;
  /** Every error the runtime raised or passed on: recent ones with their context, and counts by code and module. */
  readonly errors: ErrorQueries;

  /** Latency and error-rate baselines per module and method, heap trends, and the anomalies in progress. */
  anomalies(): AnomalySnapshot {
    return this.monitoring.anomalies?.snapshot() ?? { calls: [], memory: [] };
  }
  /** What the start-up scan of module directories found (set by `createRuntime`). */
  lastScan: ScanReport = { added: [], replaced: [], unchanged: [], rejected: [] };
  private readonly events: Emitter<RuntimeEvents>;
  private readonly hooks = new HookRegistry();
  private readonly kinds = new KindRegistry();
  private readonly catalog: Catalog;
  private readonly runner: LifecycleRunner;
  private readonly activator: Activator;
  private readonly idle: IdleScheduler;
  private readonly active = new Map<string, Instance>();
  private readonly calls: ModuleCalls;
  private readonly loader: Loader;
  private readonly factory: InstanceFactory;
  private readonly pool: HostPool;
  private readonly trap: InlineCrashTrap | undefined;
  private readonly supervisor: Supervisor<Instance>;
  private readonly supervision: SupervisionStore;
  private readonly monitoring: Monitoring;
  private readonly preloading = new Set<Instance>();
  private readonly unloadReasons = new WeakMap<Instance, UnloadReason>();
  private state: "created" | "started" | "closing" | "closed" = "created";
  private closing: Promise<ShutdownReport> | undefined;
  private starting: Promise<ModuleOutcome[]> | undefined;

  constructor(private readonly parts: RuntimeParts) {
    const { clock, logger } = parts;
    this.events = new Emitter<RuntimeEvents>((error, name) => {
      logger.error({ err: error, event: name }, "an event listener threw");
    });
    this.catalog = new Catalog(parts.registry);
    const { hosts } = parts.options;
    this.pool = new HostPool({ ...hosts.pool, heartbeatMs: hosts.heartbeatMs });
    this.trap = parts.options.inlineCrashes ? new InlineCrashTrap(parts.options.stallMs) : undefined;
    this.supervision = new SupervisionStore(parts.db);
    this.runner = this.makeRunner();
    this.supervisor = new Supervisor<Instance>({
      clock,
      random: parts.random,
      lifecycle: this.runner,
      instances: { current: (id) => this.active.get(id), all: () => this.active.values() },
      store: this.supervision,
      events: this.events,
      onError: (context, error) => this.events.emit("runtime.error", { context, error }),
      defaults: parts.options.restart,
      bringUp: async (inst) => {
        const plan = this.activator.plan([{ id: inst.id, range: inst.version }]);
        throwFirstFailure(await this.activator.bringUp(plan, "running"));
      },
      unloadReason: (inst, reason) => this.unloadReasons.set(inst, reason),
      closing: () => this.state === "closing" || this.state === "closed",
    });
    this.factory = new InstanceFactory({
      parts,
      clock,
      catalog: this.catalog,
      kinds: this.kinds,
      active: this.active,
      use: (id) => this.calls.use(id) as unknown as ModuleProxy<Record<string, never>>,
      call: (id, method, args, signal) => this.calls.call(id, method, args, signal),
      pool: this.pool,
      trap: this.trap,
      supervisor: this.supervisor,
      store: this.supervision,
      onStall: (inst, method, durationMs) => {
        const suggestion = `set "isolation": "worker" in its manifest so it cannot block the runtime`;
        logger.warn(
          { module: inst.key, method, durationMs },
          `${inst.key}.${method} stalled the event loop; ${suggestion}`,
        );
        this.events.emit("module.stalled", {
          id: inst.id,
          version: inst.version,
          method,
          durationMs,
          suggestion,
        });
      },
    });
    this.activator = new Activator({
      catalog: this.catalog,
      runner: this.runner,
      active: this.active,
      instantiate: (entry) => this.factory.create(entry),
      closing: () => this.state === "closing" || this.state === "closed",
    });
    this.loader = new Loader({
      clock,
      activator: this.activator,
      runner: this.runner,
      assertOpen: () => this.assertOpen(),
      progress: (task, outcome, done, total) =>
        this.events.emit("load.progress", { ...outcome, task, done, total }),
    });
    this.queries = new RuntimeQueries(
      this.catalog,
      this.active,
      (requests) => this.activator.planOrder(requests),
      (id) => this.supervision.crashes(id),
    );
    this.monitoring = new Monitoring({
      clock,
      logger,
      db: parts.db,
      events: this.events,
      active: this.active,
      anomalies: parts.options.anomalies,
    });
    const monitor = this.monitoring.errors;
    this.errors = {
      recent: (filter) => (this.assertReadable(), monitor.recent(filter)),
      counts: (filter) => (this.assertReadable(), monitor.counts(filter)),
    };
    this.chaos = new ChaosEngine({
      clock,
      active: this.active,
      hook: (hook, fn) => this.hooks.add(`before:${hook}` as HookPoint, fn),
      onStarted: (fn) => this.events.on("module.started", (e) => fn(e.id)),
    });
    const book = new PolicyBook(clock, this.events, parts.options.calls);
    for (const [id, calls] of Object.entries(parts.options.policies)) book.override(id, calls);
    this.policies = new RuntimePolicies(book, (id) => this.manifestOf(id));
    this.calls = new ModuleCalls({
      clock,
      random: parts.random,
      policies: book,
      events: this.events,
      observer: this.monitoring,
      interceptor: this.chaos,
      manifestOf: (id) => this.manifestOf(id),
      active: this.active,
      assertOpen: () => this.assertOpen(),
      ensureRunning: (ref, signal) => this.ensure(ref, "running", signal),
      count: (id) => this.idle.count(id),
      isDown: (id) => this.supervisor.isDown(id),
    });
    this.idle = new IdleScheduler({
      clock,
      options: parts.options,
      registry: parts.registry,
      active: this.active,
      isCode: (id) => this.catalog.versions(id).some((v) => this.catalog.isCode(id, v)),
      isEager: (inst) => this.kinds.activationOf(inst.record.manifest) === "eager",
      preload: (id) => this.preload(id),
      unloadIdle: (inst) => this.unloadInstance(inst, "idle"),
      onError: (context, error) => this.events.emit("runtime.error", { context, error }),
    });
  }

  private makeRunner(): LifecycleRunner {
    const logger = this.parts.logger;
    return new LifecycleRunner({
      clock: this.parts.clock,
      hooks: this.hooks,
      guard: (subject, command) => this.factory.guard(subject as Instance, command),
      onTransition: (subject, command, from, to, durationMs) =>
        this.onTransition(subject as Instance, command, from, to, durationMs),
      onFailure: (r) => {
        const inst = r.subject as Instance;
        this.preloading.delete(inst);
        logger.warn({ module: inst.key, command: r.command, code: r.error.code }, r.error.message);
        this.events.emit("module.failed", {
          id: inst.id,
          version: inst.version,
          command: r.command,
          error: r.error,
          state: r.state,
        });
      },
      onAfterHookError: (subject, command, error) => {
        this.events.emit("hook.failed", { id: subject.id, version: subject.version, command, error });
      },
    });
  }

  /** Data directory in use (absolute). */
  get dataDir(): string {
    return this.parts.options.dataDir;
  }

  /** The persistent registry (add, remove, queries on installed versions). */
  get registry(): Registry {
    return this.parts.registry;
  }

  // ---- events, hooks, kinds -------------------------------------------------------------

  /** Subscribes to a runtime event; dispose the result to unsubscribe. */
  on<K extends keyof RuntimeEvents>(name: K, fn: Listener<RuntimeEvents[K]>): Disposable {
    return this.events.on(name, fn);
  }

  /** Adds an application hook around a transition (`before:start`, `after:stop`, ...), for one module, one kind or all. */
  hook(point: HookPoint, fn: AppHook, scope: HookScope = {}): Disposable {
    return this.hooks.add(point, fn, scope);
  }

  /** Registers a module kind with its defaults (kinds are open; registering one is optional). */
  registerKind(kind: KindDefinition): void {
    this.kinds.register(kind);
  }

  /** Registered kinds. */
  listKinds(): KindDefinition[] {
    return this.kinds.list();
  }

  // ---- registration ---------------------------------------------------------------------

  /**
   * Installs a module version from a directory into the registry (validated, copied, one
   * transaction); `status` says whether it was new, replaced changed content, or was unchanged.
   */
  add(dir: string): AddResult {
    this.assertOpen();
    const result = this.parts.registry.add(dir);
    const { record, status } = result;
    this.events.emit("module.registered", {
      id: record.id,
      version: record.version,
      source: record.source,
      status,
    });
    return result;
  }

  /** Removes one version, or every version, from the registry; refused while an instance of it is active. */
  remove(ref: string): void {
    this.assertOpen();
    const { id, version } = parseModuleRef(ref);
    const inst = this.active.get(id);
    if (inst && stateIsActive(inst.state) && (version === undefined || version === inst.version)) {
      throw new ChipsetError(
        ErrorCodes.MODULE_IN_USE,
        `${inst.key} is ${inst.state}; stop and unload it before removing it`,
        {
          module: inst.key,
        },
      );
    }
    this.parts.registry.remove(id, version);
    if (inst && (version === undefined || version === inst.version)) {
      this.active.delete(id);
      this.supervisor.forget(id);
    }
    this.events.emit("module.removed", version === undefined ? { id } : { id, version });
  }

  /** Registers every module found in `dirs` (each a module or a folder of modules); bad ones are reported, not thrown. */
  scan(dirs: readonly string[]): ScanReport {
    const report = scanModuleDirs(this.parts.registry, dirs);
    for (const status of ["added", "replaced", "unchanged"] as const) {
      for (const record of report[status]) {
        this.events.emit("module.registered", {
          id: record.id,
          version: record.version,
          source: record.source,
          status,
        });
      }
    }
    for (const { dir, error } of report.rejected) this.events.emit("module.rejected", { dir, error });
    return report;
  }

  /**
   * Registers a module in code: the same validation and lifecycle as a directory module, kept
   * in memory for the life of this runtime. `manifest` has the package.json shape.
   */
  register(manifest: PackageManifest, implementation: ModuleDefinition): ModuleRecord {
    this.assertOpen();
    const pkg = validatePackageManifest(manifest, `<code: ${String((manifest as { name?: unknown }).name)}>`);
    const record: ModuleRecord = {
      id: pkg.name,
      version: pkg.version,
      manifest: pkg.chipset,
      dir: undefined,
      entry: undefined,
      digest: undefined,
      source: "code",
      installedAt: this.parts.clock.wallNow(),
    };
    this.catalog.addCode(record, implementation);
    this.events.emit("module.registered", {
      id: record.id,
      version: record.version,
      source: "code",
      status: "added",
    });
    return record;
  }

  // ---- use and calls --------------------------------------------------------------------

  /**
   * A proxy to module `ref` (`id` or `id@range`), returned at once: its first call loads the
   * module and its dependencies and brings them to `running`. Every method returns a promise.
   */
  use<Api extends object = AnyApi>(ref: string): ModuleProxy<Api> {
    return this.calls.use(ref) as unknown as ModuleProxy<Api>;
  }

  /** Calls `method` of module `ref` with `args`, loading and starting it on demand. */
  call(
    ref: string,
    method: string,
    args: readonly unknown[] = [],
    options: { signal?: AbortSignal } = {},
  ): Promise<unknown> {
    return this.calls.call(ref, method, args, options.signal);
  }

  /** The manifest calls to `id` use now: the active version's, else the highest registered. */
  private manifestOf(id: string): ChipsetManifest | undefined {
    return (this.active.get(id)?.record ?? this.catalog.get(id)?.record)?.manifest;
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
    return this.calls.callDetailed(ref, method, args, options.signal);
  }

  /**
   * The module's own health (its `health()`, within `hookTimeoutMs`), or `{ ok: false }` with
   * the reason when it is not running. A module without `health()` is healthy while it runs.
   */
  async health(ref: string): Promise<ModuleHealth> {
    const inst = this.active.get(parseModuleRef(ref).id);
    if (inst === undefined || inst.state !== "running")
      return { ok: false, detail: inst === undefined ? "not loaded" : `${inst.state}` };
    if (!inst.host.hasFunction("health")) return { ok: true };
    const ms = this.parts.options.hookTimeoutMs;
    try {
      const health = await race(
        Promise.resolve(inst.host.callFunction("health", [])) as Promise<
          ModuleHealth | undefined | typeof timedOut
        >,
        { clock: this.parts.clock, ms, onTimeout: (): typeof timedOut => timedOut },
      );
      if (health === timedOut) return { ok: false, detail: `health() did not answer within ${ms} ms` };
      if (typeof health?.ok !== "boolean")
        return {
          ok: false,
          detail: `health() answered ${JSON.stringify(health) ?? "nothing"}, not { ok: true | false }`,
        };
      return health;
    } catch (err) {
      return { ok: false, detail: `health() threw: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  /** Brings `ref` (and its dependencies) to `target`; rejects with the module's own error or `CHIP_ERR_DEPENDENCY_FAILED`. */
  private async ensure(ref: string, target: "loaded" | "running", signal?: AbortSignal): Promise<Instance> {
    const request = requestOf(ref);
    const id = request.id;
    const plan = this.activator.plan([request]);
    const outcomes = await this.activator.bringUp(plan, target, signal);
    const mine = outcomes.find((o) => o.id === id)!;
    if (!mine.ok) throw mine.error!;
    return this.active.get(id)!;
  }

  // ---- loading --------------------------------------------------------------------------

  /**
   * Loads (imports, without init) one or more modules and their dependencies, level by level,
   * each level in parallel. Rejects with the first failure; `details.outcomes` has them all.
   */
  load(refs: string | readonly string[], options: { signal?: AbortSignal } = {}): Promise<LoadReport> {
    return this.loader.load(refs, options.signal);
  }

  /** Starts a batch load in the background; progress arrives as `load.progress` events tagged with `task`. */
  loadInBackground(refs: string | readonly string[], options: { signal?: AbortSignal } = {}): LoadTask {
    return this.loader.loadInBackground(refs, options.signal);
  }

  /**
   * Loads a module (and its dependencies) synchronously: possible for modules registered in
   * code and for file modules without top-level await. Otherwise `CHIP_ERR_SYNC_LOAD_UNSUPPORTED`.
   */
  loadSync(ref: string): void {
    this.loader.loadSync(ref);
  }

  // ---- control --------------------------------------------------------------------------

  /** Loads if needed and runs `init` (lazy init made explicit). */
  async init(ref: string, options: ControlOptions = {}): Promise<void> {
    const inst = await this.ensure(ref, "loaded", options.signal);
    await this.runner.advance(inst, "initialized", options.signal);
  }

  /** Pauses a running module: new calls wait (bounded) while in-flight calls finish. */
  async pause(ref: string, options: ControlOptions = {}): Promise<void> {
    return this.runner.run(this.instanceOf(ref), "pause", options.signal);
  }

  /** Resumes a paused module and releases the calls that waited. */
  async resume(ref: string, options: ControlOptions = {}): Promise<void> {
    return this.runner.run(this.instanceOf(ref), "resume", options.signal);
  }

  /** Stops a module; refused while dependents run unless `cascade` (then they stop first). */
  async stop(ref: string, options: ControlOptions = {}): Promise<void> {
    const inst = this.instanceOf(ref);
    await stopDependents(this.active, this.runner, inst, options);
    // Stopped on request: no restart (also of one in progress), no fallback any more.
    this.supervisor.released(inst.id);
    // A crashed module has no code running to stop: stopping it means not restarting it, and unloading.
    if (inst.state === "crashed") return this.unloadInstance(inst, "request", options.signal);
    await this.runner.run(inst, "stop", options.signal);
  }

  /** Unloads a module (stopping it first if needed); refused while dependents run unless `cascade`. */
  async unload(ref: string, options: ControlOptions = {}): Promise<void> {
    const inst = this.instanceOf(ref);
    await stopDependents(this.active, this.runner, inst, options);
    this.supervisor.released(inst.id);
    await this.unloadInstance(inst, "request", options.signal);
  }

  /** Starts every module whose `activation.onEvent` lists `event`; resolves with their outcomes. */
  async activate(event: string, options: ControlOptions = {}): Promise<ModuleOutcome[]> {
    this.assertOpen();
    const ids = this.idsWhere(
      (activation) => typeof activation === "object" && activation.onEvent.includes(event),
    );
    if (ids.length === 0) return [];
    const plan = this.activator.plan(ids.map((id) => ({ id })));
    return this.activator.bringUp(plan, "running", options.signal);
  }

  private async unloadInstance(inst: Instance, reason: UnloadReason, signal?: AbortSignal): Promise<void> {
    // A load may be in flight (a restart, an activation): unload what it brings in.
    if (this.runner.isBusy(inst)) await this.runner.idle(inst);
    if (inst.state === "registered") return;
    if (inst.state === "running" || inst.state === "paused" || inst.state === "initialized")
      await this.runner.run(inst, "stop", signal);
    this.unloadReasons.set(inst, reason);
    await this.runner.run(inst, "unload", signal);
  }

  private instanceOf(ref: string): Instance {
    this.assertOpen();
    const { id, version } = parseModuleRef(ref);
    const inst = this.active.get(id);
    if (inst && (version === undefined || inst.version === version)) return inst;
    if (inst && inst.state !== "registered") {
      // One version per id in this build: never orphan the active instance by replacing it.
      throw new ChipsetError(
        ErrorCodes.MODULE_IN_USE,
        `${inst.key} is ${inst.state}; ${id}@${version} cannot be controlled while another version is active (unload ${inst.key} first)`,
        { module: inst.key, details: { active: inst.version, requested: version } },
      );
    }
    const entry = this.catalog.get(id, version);
    if (!entry) throw this.queries.notFound(ref);
    return this.factory.create(entry);
  }

  // ---- runtime lifecycle ----------------------------------------------------------------

  /**
   * With no argument: starts the runtime: eager modules come up level by level, then idle work
   * begins (preloading the most used modules, unloading idle ones). Rejects with the first
   * eager failure (`details.outcomes` lists every module). With `ref`: brings that module and
   * its dependencies to `running`.
   */
  async start(): Promise<ModuleOutcome[]>;
  async start(ref: string, options?: ControlOptions): Promise<void>;
  async start(ref?: string, options: ControlOptions = {}): Promise<ModuleOutcome[] | void> {
    this.assertOpen();
    if (ref !== undefined) {
      await this.ensure(ref, "running", options.signal);
      return;
    }
    // Idempotent: a second start() shares the first (and idle work is scheduled once).
    this.starting ??= this.startRuntime(options.signal);
    return this.starting;
  }

  private async startRuntime(signal: AbortSignal | undefined): Promise<ModuleOutcome[]> {
    const started = this.parts.clock.now();
    this.warmPools();
    const ids = this.idsWhere((activation) => activation === "eager");
    let outcomes: ModuleOutcome[] = [];
    if (ids.length > 0) {
      const plan = this.activator.plan(ids.map((id) => ({ id })));
      outcomes = await this.activator.bringUp(plan, "running", signal);
      throwFirstFailure(outcomes);
    }
    if (this.state !== "created") return outcomes; // closed while starting: stay closed
    this.state = "started";
    this.idle.start();
    this.events.emit("runtime.started", { durationMs: this.parts.clock.now() - started, eager: ids });
    return outcomes;
  }

  /**
   * Stops every module in reverse dependency order (each level in parallel) within the shutdown
   * deadline, saves usage statistics and closes the store. Idempotent: later calls share the first.
   */
  close(): Promise<ShutdownReport> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<ShutdownReport> {
    this.state = "closing";
    this.calls.close();
    this.idle.stop();
    this.supervisor.close();
    const { clock, options } = this.parts;
    const started = clock.now();
    let report: ShutdownReport;
    try {
      // Activations in flight finish their current level first (no new level starts once closing),
      // so nothing reaches `running` after it was stopped. They share the shutdown deadline.
      await race(this.activator.settled(), {
        clock,
        ms: options.shutdownTimeoutMs,
        onTimeout: () => undefined,
      });
      report = await shutdownInstances([...this.active.values()], {
        runner: this.runner,
        clock,
        deadlineMs: Math.max(0, options.shutdownTimeoutMs - (clock.now() - started)),
        isDown: (id) => this.supervisor.isDown(id),
      });
      // Isolated hosts end with the runtime, whatever their state (one may still be loading):
      // no worker thread or child process outlives it.
      for (const inst of this.active.values()) if (inst.host.isolation !== "inline") inst.host.unload();
      await this.pool.close();
    } finally {
      this.trap?.dispose();
      this.calls.dispose();
      this.chaos.disable();
      this.idle.flush();
      this.monitoring.close();
      this.state = "closed";
      this.parts.db.close();
    }
    this.events.emit("runtime.stopped", {
      durationMs: this.parts.clock.now() - started,
      stopped: report.stopped,
      failed: report.failed,
      down: report.down,
    });
    return report;
  }

  /** Starts blank hosts for the isolations registered modules ask for (in the background). */
  private warmPools(): void {
    for (const { manifest } of [...this.catalog.codeRecords(), ...this.parts.registry.list()]) {
      const { isolation, limits, permissions } = manifest;
      if (
        (isolation === "worker" || isolation === "process") &&
        isPooled({ memoryMb: limits?.memoryMb, permissions })
      )
        this.pool.warm(isolation); // fills up to the pool's size; more calls change nothing
    }
  }

  /** The ids of registered modules (any version) whose activation passes `test`. */
  private idsWhere(test: (activation: Activation) => boolean): string[] {
    const records = [...this.catalog.codeRecords(), ...this.parts.registry.list()];
    return [...new Set(records.filter((r) => test(this.kinds.activationOf(r.manifest))).map((r) => r.id))];
  }

  /** Queries that read the database work until it is closed (while closing too). */
  private assertReadable(): void {
    if (this.state === "closed")
      throw new ChipsetError(
        ErrorCodes.RUNTIME_CLOSED,
        "the runtime is closed, and its database with it; read errors with a new runtime on the same data directory (or chipset errors)",
      );
  }

  private assertOpen(): void {
    if (this.state === "closing" || this.state === "closed") {
      throw new ChipsetError(ErrorCodes.RUNTIME_CLOSED, "the runtime is closed; create a new one to go on");
    }
  }

  // ---- wiring ---------------------------------------------------------------------------

  // Payloads are built only for events someone listens to: this runs on every lifecycle step.
  private onTransition(
    inst: Instance,
    command: LifecycleCommand,
    from: LifecycleState,
    to: LifecycleState,
    durationMs: number,
  ): void {
    const { id, version } = inst;
    const events = this.events;
    this.supervisor.transitioned(inst, command);
    if (events.has("module.state"))
      events.emit("module.state", { id, version, command, from, to, durationMs });
    if (command === "load") {
      const preload = this.preloading.delete(inst);
      if (events.has("module.loaded")) events.emit("module.loaded", { id, version, durationMs, preload });
    } else if (command === "start") {
      inst.lastUsedAt = this.parts.clock.now();
      if (events.has("module.started"))
        events.emit("module.started", { id, version, durationMs, host: inst.host.info() });
    } else if (command === "stop") {
      if (events.has("module.stopped")) events.emit("module.stopped", { id, version, durationMs });
    } else if (command === "unload") {
      const reason = this.unloadReasons.get(inst) ?? "request";
      this.unloadReasons.delete(inst);
      if (events.has("module.unloaded")) events.emit("module.unloaded", { id, version, reason });
    }
  }

  private async preload(id: string): Promise<void> {
    const plan = this.activator.plan([{ id }]);
    for (const level of plan.levels)
      for (const inst of level) if (inst.state === "registered") this.preloading.add(inst);
    const outcomes = await this.activator.bringUp(plan, "loaded");
    for (const o of outcomes)
      if (!o.ok) this.events.emit("runtime.error", { context: `preload of ${o.id}`, error: o.error });
  }
}
