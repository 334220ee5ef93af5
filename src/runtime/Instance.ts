import type { Logger } from "pino";
import type { Clock } from "../common/Clock.js";
import { DisposableStore, toDisposable } from "../common/Disposable.js";
import type { ChipsetError } from "../errors/ChipsetError.js";
import type { ModuleHost } from "../hosts/ModuleHost.js";
import { IntakeGate, type IntakeLimits } from "../lifecycle/IntakeGate.js";
import type { LifecycleSubject } from "../lifecycle/LifecycleSubject.js";
import type { LifecycleCommand, LifecycleState } from "../vocabulary/lifecycle.js";
import type { ModuleContext, ModuleDisposable, ModuleProxy } from "../module.js";
import type { ModuleRecord } from "../vocabulary/manifest.js";
import type { KindDefaults } from "./KindRegistry.js";

/** A resolved dependency of an instance: which module, and whether it is optional. */
export interface ResolvedDependency {
  id: string;
  optional: boolean;
}

/** What an instance needs from the runtime to build its context. */
export interface InstanceEnv {
  clock: Clock;
  logger: Logger;
  intake: IntakeLimits;
  hookTimeoutMs: number;
  /** A proxy to `id` for this instance's `ctx.use` / `ctx.optional`. */
  proxy(from: Instance, id: string, optional: boolean): ModuleProxy<Record<string, never>> | undefined;
  /** Persists `state` as the instance's last checkpoint (for `ctx.checkpoint`). */
  checkpoint(from: Instance, state: unknown): Promise<void>;
}

/** One loaded copy of `id@version`: its state, host, gate and bookkeeping. */
export class Instance implements LifecycleSubject {
  readonly id: string;
  readonly version: string;
  readonly key: string;
  readonly kind: string;
  readonly gate: IntakeGate;
  state: LifecycleState = "registered";
  lastError: ChipsetError | undefined;
  readonly timings: Partial<Record<LifecycleCommand, number>> = {};
  /** Dependencies chosen by the resolver (set on each activation). */
  deps: ResolvedDependency[] = [];
  /** Validated configuration (set before `init`). */
  config: unknown = undefined;
  /** Where relative paths in `config` start (see `ModuleContext.baseDir`). */
  baseDir = "";
  /** Calls served since the instance was created. */
  calls = 0;
  /** `clock.now()` of the last call or activation. */
  lastUsedAt: number;
  /** Started (or resumed) and not stopped since: a crash should bring it back (see Supervisor). */
  wanted = false;
  /** `clock.now()` of the last successful start; cleared when it crashes (so uptime is real uptime). */
  startedAt: number | undefined = undefined;
  private stopScope = new DisposableStore();
  private ctx: ModuleContext | undefined;
  private phase: { readonly signal: AbortSignal } | undefined;
  private logger: ModuleContext["log"] | undefined;

  constructor(
    readonly record: ModuleRecord,
    readonly host: ModuleHost,
    private readonly env: InstanceEnv,
    private readonly kindDefaults: KindDefaults,
  ) {
    this.id = record.id;
    this.version = record.version;
    this.key = `${record.id}@${record.version}`;
    this.kind = record.manifest.kind;
    this.gate = new IntakeGate(this.key, env.clock, env.intake);
    this.lastUsedAt = env.clock.now();
  }

  /** Its manifest (the `chipset` field of its package.json). */
  get manifest(): ModuleRecord["manifest"] {
    return this.record.manifest;
  }

  /** Where its code runs. */
  get isolation(): ModuleHost["isolation"] {
    return this.host.isolation;
  }

  /** Phase timeout: manifest, then kind default, then the runtime's. */
  timeoutFor(command: LifecycleCommand): number {
    if (command === "unload") return this.env.hookTimeoutMs;
    return (
      this.record.manifest.timeouts?.[command] ??
      this.kindDefaults.timeouts?.[command] ??
      this.env.hookTimeoutMs
    );
  }

  /** Idle unload timeout in ms (0: never). */
  idleUnloadMs(runtimeDefault: number): number {
    return this.record.manifest.idleUnloadMs ?? this.kindDefaults.idleUnloadMs ?? runtimeDefault;
  }

  context(deadline: { readonly signal: AbortSignal }): ModuleContext {
    // One context per instance: its transitions run one at a time, so `signal` is the signal of
    // the phase now running. (A fresh object per hook cost more than the hook on a 1,000-module start.)
    this.phase = deadline;
    return (this.ctx ??= this.makeContext());
  }

  releaseStopScope(): void {
    const scope = this.stopScope;
    this.stopScope = new DisposableStore();
    scope.dispose();
  }

  /** The signal of the phase now running (for {@link HookContext}). */
  phaseSignalNow(): AbortSignal {
    if (!this.phase)
      throw new Error(`${this.key}: ctx.signal is only available once a lifecycle hook has run`);
    return this.phase.signal;
  }

  /** This module's logger, made on first use: most modules never log during start-up. */
  moduleLogger(): ModuleContext["log"] {
    return (this.logger ??= this.env.logger.child({ module: this.key }));
  }

  /** A proxy to a declared dependency (for `ctx.use` / `ctx.optional`). */
  dependency(id: string, optional: boolean): ModuleProxy<Record<string, never>> | undefined {
    return this.env.proxy(this, id, optional);
  }

  /** Saves `state` as this module's last checkpoint (for `ctx.checkpoint`). */
  checkpoint(state: unknown): Promise<void> {
    return this.env.checkpoint(this, state);
  }

  /** Registers cleanup that runs when the module stops (for `ctx.onStop`). */
  addStopItem(item: ModuleDisposable | (() => void)): void {
    this.stopScope.add(typeof item === "function" ? toDisposable(item) : item);
  }

  private makeContext(): ModuleContext {
    return new HookContext(this);
  }
}

/**
 * What a module's hooks receive as `ctx`: one small object per instance with getters on the
 * prototype, not an object literal with accessors and closures (that cost more than the hooks
 * on a 1,000-module start).
 */
class HookContext {
  readonly id: string;
  readonly version: string;
  private bound: Pick<ModuleContext, "use" | "optional" | "onStop" | "checkpoint"> | undefined;

  constructor(private readonly inst: Instance) {
    this.id = inst.id;
    this.version = inst.version;
  }

  get config(): unknown {
    return this.inst.config;
  }

  get baseDir(): string {
    return this.inst.baseDir;
  }

  get log(): ModuleContext["log"] {
    return this.inst.moduleLogger();
  }

  get signal(): AbortSignal {
    return this.inst.phaseSignalNow();
  }

  // Getters returning functions bound to the instance, made on first use: destructuring
  // (`init({ use })`) works, and modules that never use them cost no closures.
  get use(): ModuleContext["use"] {
    return this.functions().use;
  }

  get optional(): ModuleContext["optional"] {
    return this.functions().optional;
  }

  get onStop(): ModuleContext["onStop"] {
    return this.functions().onStop;
  }

  get checkpoint(): ModuleContext["checkpoint"] {
    return this.functions().checkpoint;
  }

  private functions(): Pick<ModuleContext, "use" | "optional" | "onStop" | "checkpoint"> {
    const inst = this.inst;
    return (this.bound ??= {
      use: ((id: string) => inst.dependency(id, false)!) as ModuleContext["use"],
      optional: ((id: string) => inst.dependency(id, true)) as ModuleContext["optional"],
      onStop: (item) => inst.addStopItem(item),
      checkpoint: (state) => inst.checkpoint(state),
    });
  }
}
