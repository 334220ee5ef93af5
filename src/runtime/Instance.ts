import type { Logger } from "pino";
import type { Clock } from "../common/Clock.js";
import { DisposableStore, toDisposable } from "../common/Disposable.js";
import type { ChipsetError } from "../errors/ChipsetError.js";
import type { ModuleHost } from "../hosts/ModuleHost.js";
import { IntakeGate, type IntakeLimits } from "../lifecycle/IntakeGate.js";
import type { LifecycleSubject } from "../lifecycle/LifecycleSubject.js";
import type { LifecycleCommand, LifecycleState } from "../lifecycle/transitions.js";
import type { ModuleContext, ModuleDisposable, ModuleProxy } from "../module.js";
import type { ModuleRecord } from "../registry/Manifest.js";
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
  kind: KindDefaults;
  /** A proxy to `id` for this instance's `ctx.use` / `ctx.optional`. */
  proxy(from: Instance, id: string, optional: boolean): ModuleProxy<Record<string, never>> | undefined;
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
  /** Calls served since the instance was created. */
  calls = 0;
  /** `clock.now()` of the last call or activation. */
  lastUsedAt: number;
  private stopScope = new DisposableStore();
  private ctx: ModuleContext | undefined;
  private phaseSignal: (() => AbortSignal) | undefined;
  private logger: ModuleContext["log"] | undefined;

  constructor(
    readonly record: ModuleRecord,
    readonly host: ModuleHost,
    private readonly env: InstanceEnv,
  ) {
    this.id = record.id;
    this.version = record.version;
    this.key = `${record.id}@${record.version}`;
    this.kind = record.manifest.kind;
    this.gate = new IntakeGate(this.key, env.clock, env.intake);
    this.lastUsedAt = env.clock.now();
  }

  /** Phase timeout: manifest, then kind default, then the runtime's. */
  timeoutFor(command: LifecycleCommand): number {
    if (command === "unload") return this.env.hookTimeoutMs;
    return (
      this.record.manifest.timeouts?.[command] ?? this.env.kind.timeouts?.[command] ?? this.env.hookTimeoutMs
    );
  }

  /** Idle unload timeout in ms (0: never). */
  idleUnloadMs(runtimeDefault: number): number {
    return this.record.manifest.idleUnloadMs ?? this.env.kind.idleUnloadMs ?? runtimeDefault;
  }

  context(signal: () => AbortSignal): ModuleContext {
    // One context per instance: its transitions run one at a time, so `signal` is the signal of
    // the phase now running. (A fresh object per hook cost more than the hook on a 1,000-module start.)
    this.phaseSignal = signal;
    return (this.ctx ??= this.makeContext());
  }

  releaseStopScope(): void {
    const scope = this.stopScope;
    this.stopScope = new DisposableStore();
    scope.dispose();
  }

  private makeContext(): ModuleContext {
    const config = () => this.config;
    const signal = () => this.phaseSignal!();
    // The pino child logger is made on first use: most modules never log during start-up.
    const log = () => (this.logger ??= this.env.logger.child({ module: this.key }));
    return {
      id: this.id,
      version: this.version,
      get config() {
        return config();
      },
      get log() {
        return log();
      },
      get signal(): AbortSignal {
        return signal();
      },
      use: (id: string) => this.env.proxy(this, id, false)!,
      optional: (id: string) => this.env.proxy(this, id, true),
      onStop: (item: ModuleDisposable | (() => void)) => {
        this.stopScope.add(typeof item === "function" ? toDisposable(item) : item);
      },
    } as ModuleContext;
  }
}
