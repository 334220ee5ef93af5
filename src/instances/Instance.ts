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
import type { KindDefaults } from "../registry/KindRegistry.js";
import type { Supervised } from "../supervision/Supervised.js";
import { HookContext } from "./HookContext.js";
import type { ReplicaGroup } from "./ReplicaGroup.js";

/** The address of replica `replica` of `id@version`: `id@version`, with `#replica` after the first. */
export function replicaKey(id: string, version: string, replica: number): string {
  return replica === 0 ? `${id}@${version}` : `${id}@${version}#${replica}`;
}

/** A resolved dependency of an instance: which module, the version bound to it, and whether it is optional. */
export interface ResolvedDependency {
  id: string;
  version: string;
  /** `id@version`. */
  key: string;
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

/**
 * One loaded copy of `id@version`: its state, host, gate and bookkeeping. The lifecycle runner
 * moves it (as a {@link LifecycleSubject}), the supervisor restarts it (as a {@link Supervised}),
 * and the instance table holds it.
 */
export class Instance implements LifecycleSubject, Supervised {
  readonly id: string;
  readonly version: string;
  /** Its address: `id@version`, and `#replica` for every replica but the first. */
  readonly key: string;
  /** Which replica of `id@version` it is: 0 for the first (or only) one. */
  readonly replica: number;
  /** The replicas of `id@version` it belongs to, when its module has `replicas` or is an engine (a group of one; see {@link ReplicaGroup}). */
  group: ReplicaGroup<Instance> | undefined = undefined;
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
  /**
   * Why it is out of service (`CHIP_ERR_MODULE_NOT_READY`: its readiness probe failed), or
   * undefined while it serves. Set and cleared by the runtime's probes; calls read it.
   */
  unready: ChipsetError | undefined = undefined;

  /** Running with its intake gate open: a call may go straight to it (readiness aside). */
  get takesCalls(): boolean {
    return this.state === "running" && this.gate.isOpen;
  }

  private stopScope = new DisposableStore();
  private ctx: ModuleContext | undefined;
  private phase: { readonly signal: AbortSignal } | undefined;
  private logger: ModuleContext["log"] | undefined;

  constructor(
    readonly record: ModuleRecord,
    readonly host: ModuleHost,
    private readonly env: InstanceEnv,
    private readonly kindDefaults: KindDefaults,
    replica = 0,
  ) {
    this.id = record.id;
    this.version = record.version;
    this.replica = replica;
    this.key = replicaKey(record.id, record.version, replica);
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
    // The context is handed out only by context(), which sets the phase first.
    return this.phase!.signal;
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
