import type { ChipsetError } from "../errors/ChipsetError.js";
import type { ModuleHost } from "../hosts/ModuleHost.js";
import type { ModuleContext } from "../module.js";
import type { IntakeGate } from "./IntakeGate.js";
import type { LifecycleCommand, LifecycleState } from "../vocabulary/lifecycle.js";

/** What the lifecycle runner needs of an instance (the runtime's Instance implements it). */
export interface LifecycleSubject {
  readonly id: string;
  readonly version: string;
  /** `id@version`. */
  readonly key: string;
  readonly kind: string;
  state: LifecycleState;
  readonly host: ModuleHost;
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
