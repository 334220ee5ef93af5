import type { ChipsetError } from "../errors/ChipsetError.js";
import type { DefinitionFunction } from "../vocabulary/hosts.js";
import type { LifecycleCommand, LifecycleState } from "../vocabulary/lifecycle.js";
import type { ChipsetManifest } from "../vocabulary/manifest.js";

/** What the supervisor needs of an instance (the runtime's Instance fits). */
export interface Supervised {
  readonly id: string;
  readonly version: string;
  /** `id@version`, and `#replica` after a module's first replica. */
  readonly key: string;
  /** Which replica of `id@version` (0: the first, or the only one). */
  readonly replica: number;
  readonly state: LifecycleState;
  /** The cause of its last failure (cleared when it ended normally: that is not an error). */
  lastError: ChipsetError | undefined;
  /** Its manifest's `restart` policy and `fallback` module. */
  readonly manifest: Pick<ChipsetManifest, "restart" | "fallback">;
  /** The dependencies its resolution chose (a dependent is told when one of them crashes). */
  readonly deps: readonly { readonly id: string; readonly key: string; readonly optional: boolean }[];
  /** Started (or resumed) and not stopped since: a crash should bring it back. Kept up to date by {@link Supervisor.transitioned}. */
  wanted: boolean;
  /** `clock.now()` of its last successful start; cleared when it crashes (so uptime is real uptime). */
  startedAt: number | undefined;
  /** Its phase timeout for `command`, in ms (`importState` after a restart runs within the `init` one). */
  timeoutFor(command: LifecycleCommand): number;
  /** The functions of its definition besides hooks and api (`importState`, `dependencyChanged`). */
  readonly host: {
    hasFunction(fn: DefinitionFunction): boolean;
    callFunction(fn: DefinitionFunction, args: readonly unknown[], signal?: AbortSignal): unknown;
  };
}

/** The lifecycle as the supervisor drives it (the runtime's LifecycleRunner fits). */
export interface SupervisedLifecycle<S extends Supervised> {
  /** Marks `subject` crashed once what is queued for it has settled; resolves with the state it was in. */
  markCrashed(subject: S, error: ChipsetError): Promise<LifecycleState>;
  /** Runs `command` (the supervisor's own stop and unload). */
  run(subject: S, command: "stop" | "unload"): Promise<void>;
  /** Moves `subject` along the happy path to `target`. */
  advance(subject: S, target: "initialized" | "running"): Promise<void>;
  /** The supervisor gave up on `subject`: it becomes `failed`. */
  giveUp(subject: S, error: ChipsetError): void;
}

/** The live instances as the supervisor reads them (the instance table fits). */
export interface SupervisedInstances<S extends Supervised> {
  /** The live instance at `key` (`id@version`), if any. */
  get(key: string): S | undefined;
  /** Every live instance. */
  all(): Iterable<S>;
}
