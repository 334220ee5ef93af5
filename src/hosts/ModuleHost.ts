import type { ChipsetError } from "../errors/ChipsetError.js";
import type { Isolation } from "../registry/Manifest.js";
import type { ModuleContext } from "../module.js";
import type { ChaosMessage, CrashKind, DefinitionFunction } from "./protocol.js";

/** The hooks a host can run inside the module. */
export type HostHook = "init" | "start" | "pause" | "resume" | "stop";

/** Where a host runs: its kind, and the pid / thread id that runs the module's code. */
export interface HostInfo {
  isolation: Isolation;
  /** The process running the module (this process for inline and worker hosts). */
  pid: number;
  /** The worker thread's id (worker hosts; 0 is the main thread). */
  threadId: number;
}

/**
 * A call's cancellation whose AbortSignal is made on first read: an AbortSignal costs ~2 µs to
 * make on Node 20, more than a whole inline call, so the call path hands this to inline hosts
 * and only a module that reads `currentCall().signal` pays for it.
 */
export interface SignalSource {
  readonly signal: AbortSignal;
}

/** How and when a host died. */
export interface CrashInfo {
  kind: CrashKind;
  /** `CHIP_ERR_MODULE_CRASHED`; its `cause` is what the module threw, or the exit / signal. */
  error: ChipsetError;
  exitCode?: number | null;
  signal?: string | null;
}

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
   * Calls `method` with `args`; the value or a promise of it. With `signal`, an abort rejects
   * the call at once with `CHIP_ERR_ABORTED` and aborts it inside the module too. With a
   * {@link SignalSource}, the module sees its signal, and the caller does the rejecting.
   */
  call(method: string, args: readonly unknown[], signal?: AbortSignal | SignalSource): unknown;
  /** True when the module defines `fn` (`importState`, `exportState`, `health`, `dependencyChanged`). */
  hasFunction(fn: DefinitionFunction): boolean;
  /** Invokes definition function `fn` with `args`; the value or a promise of it. */
  callFunction(fn: DefinitionFunction, args: readonly unknown[]): unknown;
  /** Forgets the code (the next load evaluates it afresh); an isolated host ends its thread or process. */
  unload(): void;
  /** Where the module runs now. */
  info(): HostInfo;
  /** The module's heap at the host's latest reading, in bytes; undefined for inline hosts (the heap is the runtime's). */
  memory(): { heapUsed: number; rss: number } | undefined;
  /** Injects a fault inside the host (chaos experiments): a crash nobody can catch, or a heap leak until released. */
  chaos(fault: ChaosMessage): void;
  /** Set once the host died unexpectedly (never for inline hosts: see Supervisor for inline crashes). */
  readonly crash: CrashInfo | undefined;
  /** Called once when the host dies unexpectedly; set by the owner before `load`. */
  onCrash: ((crash: CrashInfo) => void) | undefined;
}
