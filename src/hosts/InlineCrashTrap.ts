import type { AsyncLocalStorage } from "node:async_hooks";
import type { Disposable } from "../common/Disposable.js";
import { callStore } from "./callStore.js";
import { installIoMeters } from "./io/ioMeters.js";
import type { IoSink } from "./io/IoSink.js";
import type { CallInfo } from "../module.js";
import type { UsageCounters } from "../vocabulary/resources.js";

/** What the trap needs of an inline host: a way to report a crash or a stall of its module. */
export interface InlineOwner {
  readonly key: string;
  /** The module threw where no caller could catch it. */
  reportCrash(kind: "uncaught-exception" | "unhandled-rejection", error: unknown): void;
  /** One synchronous stretch of `method` kept the event loop for `durationMs`. */
  reportStall(method: string, durationMs: number): void;
  /** What the module has used; each run adds its synchronous time to `busyUs`, and the I/O meters their bytes. */
  readonly counters: UsageCounters;
}

const neverAborted = new AbortController().signal;

/** The async-context store of an inline call or hook: what `currentCall()` returns, plus its owner. */
class InlineScope implements CallInfo {
  /** Synchronous time of inline runs nested in this one, in ms (theirs, not this owner's). */
  nestedMs = 0;

  constructor(
    readonly owner: InlineOwner,
    readonly method: string,
    private readonly source: AbortSignal | { readonly signal: AbortSignal } | undefined,
  ) {}

  get signal(): AbortSignal {
    const source = this.source;
    if (source === undefined) return neverAborted;
    return source instanceof AbortSignal ? source : source.signal;
  }
}

/**
 * Attributes errors that escape inline modules. Every hook and call of an inline module runs
 * inside an AsyncLocalStorage scope naming its owner, so an exception thrown in a timer it set,
 * or a promise it left rejected, reaches `uncaughtException` / `unhandledRejection` with the
 * owner's scope still current; the trap turns it into a crash of that module instead of the end
 * of the process. Errors no module owns (by scope, or by a file of the module in the stack) keep
 * Node's default behaviour: other listeners handle them, or the process ends as it would have.
 * It also times the synchronous part of each hook and call, to name a module that stalls the
 * event loop.
 *
 * Cost: where AsyncLocalStorage rides on async_hooks (Node 20, or Node 24 started with
 * `--no-async-context-frame`), entering the store makes every promise in the process slower
 * (about 0.4 µs per await on the benchmark machine), for good. On AsyncContextFrame (Node 24's
 * default; see `nodeFeatures.asyncContextFrame`) the store travels with each promise and an
 * await costs the same with or without it. `createRuntime({ inlineCrashes: false })` turns it off.
 */
export class InlineCrashTrap {
  private readonly store: AsyncLocalStorage<CallInfo> = callStore();
  private readonly dirs = new Map<string, InlineOwner>();
  /** The run whose synchronous part is under way (runs nest when an inline module calls another synchronously). */
  private active: InlineScope | undefined = undefined;
  private installed = false;
  private disposed = false;
  /** The fs and network meters, while this trap's runtime has inline modules loaded or loading. */
  private ioMeters: Disposable | undefined;

  /** @param stallMs a synchronous stretch at least this long is reported as a stall (ms). */
  constructor(private readonly stallMs: number) {}

  /**
   * Runs `fn.apply(thisArg, args)` as `owner`'s code (attributed and timed); `signal` is what
   * `currentCall().signal` returns inside (a signal that never fires when undefined). `since` is
   * when the work began on `performance.now()`'s scale, when the caller has just read it (a clock
   * read costs about as much as the rest of this method on the benchmark machine).
   */
  run(
    owner: InlineOwner,
    method: string,
    signal: AbortSignal | { readonly signal: AbortSignal } | undefined,
    fn: (...args: unknown[]) => unknown,
    thisArg: unknown,
    args: readonly unknown[],
    since?: number,
  ): unknown {
    if (!this.installed && !this.disposed) this.install();
    // A small object per run: cheaper than caching one per module and method (a Map each).
    const scope = new InlineScope(owner, method, signal);
    const outer = this.active;
    this.active = scope;
    const started = since ?? performance.now();
    try {
      return this.store.run(scope, Reflect.apply, fn, thisArg, args);
    } finally {
      const durationMs = performance.now() - started;
      this.active = outer;
      if (outer !== undefined) outer.nestedMs += durationMs;
      (owner.counters.busyUs as number) += (durationMs - scope.nestedMs) * 1000;
      if (durationMs >= this.stallMs) owner.reportStall(method, durationMs);
    }
  }

  /** Also attributes errors whose stack shows a file under `dir` to `owner` (file modules). */
  track(owner: InlineOwner, dir: string): void {
    this.dirs.set(dir, owner);
  }

  /** Stops attributing by `dir`. */
  untrack(dir: string): void {
    this.dirs.delete(dir);
  }

  /**
   * Counts the `fs` and network bytes of inline modules from now until {@link dispose}: each
   * byte goes to the module whose call or hook is current where the I/O was started. Called when
   * an inline module is loaded, so a runtime without inline modules leaves `fs` as it is.
   */
  meterIo(): void {
    if (this.disposed || this.ioMeters !== undefined) return;
    this.ioMeters = installIoMeters(() => currentSink(this.store), { fromZero: false });
  }

  /** Removes the process listeners for good (runtime closed); later runs are not attributed. */
  dispose(): void {
    this.disposed = true;
    this.ioMeters?.dispose();
    this.ioMeters = undefined;
    if (!this.installed) return;
    this.installed = false;
    sharedListeners().traps.delete(this);
    syncListeners();
  }

  private install(): void {
    this.installed = true;
    sharedListeners().traps.add(this);
    syncListeners();
  }

  /** The inline module that owns `error`: by the async context it was raised in, else by its stack. */
  ownerOf(error: unknown): InlineOwner | undefined {
    const scope = this.store.getStore();
    if (scope instanceof InlineScope) return scope.owner;
    const stack = (error as { stack?: unknown } | null)?.stack;
    if (typeof stack !== "string") return undefined;
    for (const [dir, owner] of this.dirs) if (stack.includes(dir)) return owner;
    return undefined;
  }
}

/** The counters of the inline module whose call or hook is current (duck-typed: another copy of this library may have made the scope). */
function currentSink(store: AsyncLocalStorage<CallInfo>): IoSink | undefined {
  return (store.getStore() as { owner?: InlineOwner } | undefined)?.owner?.counters;
}

/**
 * One pair of process listeners for every trap in this process (several runtimes, or several
 * copies of this library): each error is offered to every trap, and "someone else handles it"
 * means a listener that is not ours.
 */
interface Shared {
  traps: Set<InlineCrashTrap>;
  onException: (error: unknown) => void;
  onRejection: (reason: unknown) => void;
}

const sharedKey = Symbol.for("chipset.inline-crash-listeners");

function sharedListeners(): Shared {
  const g = globalThis as unknown as Record<symbol, Shared | undefined>;
  return (g[sharedKey] ??= makeShared());
}

function makeShared(): Shared {
  const traps = new Set<InlineCrashTrap>();
  const ownerOf = (error: unknown) => {
    for (const trap of traps) {
      const owner = trap.ownerOf(error);
      if (owner) return owner;
    }
    return undefined;
  };
  const shared: Shared = {
    traps,
    onException: (error) => {
      const owner = ownerOf(error);
      if (owner) return owner.reportCrash("uncaught-exception", error);
      if (othersListen("uncaughtException", shared.onException)) return; // someone else handles it
      // Nobody owns it and nobody listens: end the process the way Node would have.
      traps.clear();
      syncListeners();
      process.nextTick(() => {
        throw error;
      });
    },
    onRejection: (reason) => {
      const owner = ownerOf(reason);
      if (owner) return owner.reportCrash("unhandled-rejection", reason);
      if (othersListen("unhandledRejection", shared.onRejection)) return;
      // Node's default (--unhandled-rejections=throw): raise it as an uncaught exception.
      process.nextTick(() => {
        throw reason;
      });
    },
  };
  return shared;
}

function othersListen(event: "uncaughtException" | "unhandledRejection", ours: unknown): boolean {
  const listeners: readonly unknown[] =
    event === "uncaughtException"
      ? process.listeners("uncaughtException")
      : process.listeners("unhandledRejection");
  return listeners.some((l) => l !== ours);
}

/** Listens while some trap is installed, and not otherwise. */
function syncListeners(): void {
  const shared = sharedListeners();
  const on = process.listeners("uncaughtException").includes(shared.onException);
  if (shared.traps.size > 0 && !on) {
    process.prependListener("uncaughtException", shared.onException);
    process.prependListener("unhandledRejection", shared.onRejection);
  } else if (shared.traps.size === 0 && on) {
    process.removeListener("uncaughtException", shared.onException);
    process.removeListener("unhandledRejection", shared.onRejection);
  }
}
