import type { UsageCounters } from "../vocabulary/resources.js";
import type { Isolation } from "../vocabulary/manifest.js";
import type { Event } from "../common/Event.js";
import type { ModuleContext } from "../module.js";
import type { HostHook } from "../vocabulary/lifecycle.js";
import type { StateParcel } from "./StateParcel.js";
import type {
  CrashInfo,
  DefinitionFunction,
  HostEnding,
  HostFault,
  HostInfo,
  SignalSource,
} from "../vocabulary/hosts.js";

/**
 * Where an instance's code lives. The lifecycle runner and the call path speak only to this
 * interface: inline, worker and process hosts behave the same to them and to callers.
 * `runHook` and `call` return a plain value when the module answered synchronously, so the
 * common inline fast path costs no timer and no extra promise.
 */
export interface ModuleHost {
  readonly isolation: Isolation;
  /**
   * Brings the code in (import); rejects with `CHIP_ERR_LOAD_FAILED`. Returns nothing when it
   * finished synchronously. `deadline.signal` is created on first read, so read it only if needed.
   */
  load(deadline: { readonly signal: AbortSignal }): void | Promise<void>;
  /** Brings the code in synchronously, or throws `CHIP_ERR_SYNC_LOAD_UNSUPPORTED`. */
  loadSync(): void;
  /** True once the code is in. */
  readonly loaded: boolean;
  /** Runs one lifecycle hook; undefined when the module does not define it. */
  runHook(hook: HostHook, ctx: ModuleContext): unknown;
  /** True when the module defines `hook` (isolated hosts always run `stop`: the child releases `ctx.onStop` items). */
  hasHook(hook: HostHook): boolean;
  /** The names of the module's api methods. */
  methods(): string[];
  /** True when `method` is a function of the module's api. */
  hasMethod(method: string): boolean;
  /**
   * Calls `method` with `args`; the value or a promise of it. With `signal`, the module sees
   * its signal (`currentCall().signal`, across a worker or process boundary too) and the caller
   * does the rejecting when it fires. `since`: when the call began on `performance.now()`'s
   * scale, if the caller has just read it (an inline host times the module's synchronous part
   * from it instead of reading the clock again).
   */
  call(method: string, args: readonly unknown[], signal?: SignalSource, since?: number): unknown;
  /** True when the module defines `fn` (`importState`, `exportState`, `health`, `dependencyChanged`). */
  hasFunction(fn: DefinitionFunction): boolean;
  /**
   * Invokes definition function `fn` with `args`; the value or a promise of it. With `signal`,
   * the module sees it as `currentCall().signal` (across a worker or process boundary too).
   */
  callFunction(fn: DefinitionFunction, args: readonly unknown[], signal?: AbortSignal): unknown;
  /**
   * Runs the module's `exportState()` (check `hasFunction` first) and answers its result as an
   * opaque parcel for any host's {@link importState}: an inline host passes the value itself;
   * an isolated host serializes it once, in its own thread or process, so the runtime's thread
   * moves bytes instead of cloning the state. Rejects as `callFunction` would, and with the same
   * error as `callFunction`'s result when the state cannot be cloned (a function in it).
   */
  exportState(signal?: AbortSignal): StateParcel | Promise<StateParcel>;
  /**
   * Runs the module's `importState(state, fromVersion)` with the state in `parcel` (from any
   * host's {@link exportState}, used once): equal to what `exportState()` returned, as a
   * structured clone is, or the value itself between two inline hosts. Answers as `callFunction`.
   */
  importState(parcel: StateParcel, fromVersion: string, signal?: AbortSignal): unknown;
  /** Forgets the code (the next load evaluates it afresh); an isolated host ends its thread or process. */
  unload(): void;
  /** Where the module runs now. */
  info(): HostInfo;
  /** The module's heap at the host's latest reading, in bytes; undefined for inline hosts (the heap is the runtime's). */
  memory(): { heapUsed: number; rss: number } | undefined;
  /**
   * What the module has used since it was loaded into this host, at the host's latest reading
   * (see {@link UsageCounters}); undefined while it is not loaded. Cheap: no message to the child.
   */
  usage(): UsageCounters | undefined;
  /** Injects a fault inside the host (chaos experiments): a crash nobody can catch, or a heap leak until released. */
  chaos(fault: HostFault): void;
  /**
   * Ends the host as crashed on the runtime's own decision (a failed probe): a worker or process
   * host ends its thread or process and rejects its requests in flight; either kind tells its
   * `onCrash` listeners once, with `CHIP_ERR_MODULE_CRASHED` of `ending.kind`. Nothing when it is
   * not loaded or has crashed already.
   */
  end(ending: HostEnding): void;
  /** Set once the host died unexpectedly (never for inline hosts: see Supervisor for inline crashes). */
  readonly crash: CrashInfo | undefined;
  /** Subscribes to the host dying unexpectedly (told once per load); dispose to leave. */
  readonly onCrash: Event<CrashInfo>;
}
