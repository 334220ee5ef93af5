import type { Isolation } from "../registry/Manifest.js";
import type { ModuleContext } from "../module.js";

/** The hooks a host can run inside the module. */
export type HostHook = "init" | "start" | "pause" | "resume" | "stop";

/**
 * Where an instance's code lives. The lifecycle runner and the call path speak only to this
 * interface, so worker and process hosts plug in without changing them.
 * `runHook` and `call` return a plain value when the module answered synchronously, so the
 * common fast path costs no timer and no extra promise.
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
  /** True when the module defines `hook`. */
  hasHook(hook: HostHook): boolean;
  /** The names of the module's api methods. */
  methods(): string[];
  /** True when `method` is a function of the module's api. */
  hasMethod(method: string): boolean;
  /** Calls `method` with `args`; the value or a promise of it. */
  call(method: string, args: readonly unknown[]): unknown;
  /** Forgets the code (the next load evaluates it afresh). */
  unload(): void;
}
