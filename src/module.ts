/**
 * The module author's SDK (`import { defineModule } from "chipset/module"`).
 * Kept free of runtime dependencies: a module imports it without installing chipset, and the
 * host makes the import resolve to its own copy. The brand uses `Symbol.for`, so a definition
 * made with another copy of this file is recognised too.
 */

import type { AsyncLocalStorage } from "node:async_hooks";

/** Structured logger handed to a module (a pino child logger bound to the module id). */
export interface ModuleLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** Something released when the module stops or unloads. */
export interface ModuleDisposable {
  dispose(): void;
}

/** The calling side of a module: every method of its `api`, always async. */
export type ModuleProxy<Api> = {
  readonly [K in keyof Api]: Api[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/** What a lifecycle hook receives. */
export interface ModuleContext<Config = unknown> {
  /** The module id (package name). */
  readonly id: string;
  /** The running version. */
  readonly version: string;
  /** Configuration, validated against the manifest's `configSchema` before `init`. */
  readonly config: Config;
  /**
   * The directory relative paths in `config` are relative to: the config file's directory when
   * this module's configuration came from `chipset.config.json`, else the working directory.
   */
  readonly baseDir: string;
  /** Logger bound to this module. */
  readonly log: ModuleLogger;
  /**
   * The signal of the lifecycle phase now running: aborted when it times out or is cancelled.
   * Read it inside the hook and pass it to your own I/O.
   */
  readonly signal: AbortSignal;
  /** A hard dependency (declared in `requires`), as a proxy. */
  use<Api = Record<string, (...args: never[]) => unknown>>(id: string): ModuleProxy<Api>;
  /** An optional dependency (declared in `optional`), or `undefined` when it is absent or incompatible. */
  optional<Api = Record<string, (...args: never[]) => unknown>>(id: string): ModuleProxy<Api> | undefined;
  /** Registers cleanup (timers, listeners, handles) that runs when the module stops. */
  onStop(item: ModuleDisposable | (() => void)): void;
  /**
   * Saves `state` (structured-clonable) in the data directory; after a crash and restart,
   * `importState(state, version)` receives the last checkpoint. Resolves once it is stored.
   */
  checkpoint(state: unknown): Promise<void>;
}

/** What a module is told about one of its dependencies (see `dependencyChanged`). */
export interface DependencyChange {
  /** The dependency's id. */
  id: string;
  /** `crashed`: it died; `restarted`: it serves again; `gave-up`: it stays down (failed). */
  status: "crashed" | "restarted" | "gave-up";
}

/** The call being served, as seen from inside the module's api method (see {@link currentCall}). */
export interface CallInfo {
  /** The method being called. */
  readonly method: string;
  /** Aborted when the caller cancels the call or its timeout expires (also across a worker or process boundary). */
  readonly signal: AbortSignal;
}

/** A lifecycle hook; may be async. */
export type ModuleHook<Config> = (ctx: ModuleContext<Config>) => void | Promise<void>;

/** Health as a module reports it. */
export interface ModuleHealth {
  ok: boolean;
  detail?: string;
}

/** What a module implements. Every member is optional. */
export interface ModuleDefinition<Api extends object = object, Config = unknown> {
  init?: ModuleHook<Config>;
  start?: ModuleHook<Config>;
  pause?: ModuleHook<Config>;
  resume?: ModuleHook<Config>;
  stop?: ModuleHook<Config>;
  /** What other modules and the host may call; arguments and results must be structured-clonable. */
  api?: Api;
  /** State to carry over to a new version (hot update). */
  exportState?(): unknown;
  /** Receives state from an older version. */
  importState?(state: unknown, fromVersion: string): void | Promise<void>;
  /** Health probe. */
  health?(): ModuleHealth | Promise<ModuleHealth>;
  /** Told when a dependency crashes, serves again after a restart, or gives up. */
  dependencyChanged?(change: DependencyChange): void | Promise<void>;
}

const brand = Symbol.for("chipset.module-definition");

/** A definition returned by {@link defineModule}. */
export type DefinedModule<Api extends object = object, Config = unknown> = ModuleDefinition<Api, Config> & {
  readonly [brand]: true;
};

/**
 * Declares a module. Export it as `module` or as the default export of the entry file:
 * `export const module = defineModule({ api: { ... } })`.
 */
export function defineModule<Api extends object = object, Config = unknown>(
  definition: ModuleDefinition<Api, Config>,
): DefinedModule<Api, Config> {
  return { ...definition, [brand]: true as const };
}

/** True when `value` was made by {@link defineModule} (any copy of this SDK). */
export function isModuleDefinition(value: unknown): value is DefinedModule {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

// One store per process and thread, shared by every copy of this SDK (the host's and a module's);
// hosts/callStore.ts makes it, and runs calls and hooks inside it.
const callStoreKey = Symbol.for("chipset.call-store");
const globals = globalThis as unknown as Record<symbol, AsyncLocalStorage<CallInfo> | undefined>;

/**
 * The call or hook being served, from inside the module's code: `signal` fires when the caller
 * aborts the call (`runtime.call(id, m, args, { signal })`) or its `calls` timeout expires,
 * whatever the module's isolation, and never fires for a call that has neither. Undefined outside a call or hook (and in inline
 * modules when the runtime was created with `inlineCrashes: false`).
 */
export function currentCall(): CallInfo | undefined {
  return globals[callStoreKey]?.getStore();
}
