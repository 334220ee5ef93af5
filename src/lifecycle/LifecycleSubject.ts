import type { ChipsetError } from "../errors/ChipsetError.js";
import type { ModuleContext } from "../module.js";
import type { IntakeGate } from "./IntakeGate.js";
import type { HostHook, LifecycleCommand, LifecycleState } from "../vocabulary/lifecycle.js";

/** What the lifecycle runner needs of the host an instance runs in (hosts' ModuleHost fits). */
export interface LifecycleHost {
  /** Brings the code in; nothing when it finished synchronously. `phase.signal` is made on first read. */
  load(phase: { readonly signal: AbortSignal }): void | Promise<void>;
  /** Brings the code in synchronously, or throws `CHIP_ERR_SYNC_LOAD_UNSUPPORTED`. */
  loadSync(): void;
  /** Forgets the code (an isolated host ends its thread or process). */
  unload(): void;
  /** Runs one of the module's hooks: its value, or a promise of it. */
  runHook(hook: HostHook, ctx: ModuleContext): unknown;
  /** True when the module defines `hook`. */
  hasHook(hook: HostHook): boolean;
  /** Set once the host died: a transition it was running then cannot be rolled back. */
  readonly crash: { readonly error: ChipsetError } | undefined;
}

/** What the lifecycle runner needs of an instance (the runtime's Instance implements it). */
export interface LifecycleSubject {
  readonly id: string;
  readonly version: string;
  /** `id@version`. */
  readonly key: string;
  readonly kind: string;
  state: LifecycleState;
  readonly host: LifecycleHost;
  readonly gate: IntakeGate;
  /** The cause of the last failed transition. */
  lastError: ChipsetError | undefined;
  /** Duration of the last successful run of each command, in ms. */
  readonly timings: Partial<Record<LifecycleCommand, number>>;
  /** Phase timeout in ms for `command`. */
  timeoutFor(command: LifecycleCommand): number;
  /** The context handed to a hook; `deadline.signal` is read lazily (only if the hook asks). */
  context(deadline: { readonly signal: AbortSignal }): ModuleContext;
  /** Releases what the module registered with `ctx.onStop`. */
  releaseStopScope(): void;
}
