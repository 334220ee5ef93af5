import { zeroUsage, type UsageCounters } from "../vocabulary/resources.js";
import { createRequire } from "node:module";
import { threadId } from "node:worker_threads";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Disposable } from "../common/Disposable.js";
import { EventSource } from "../common/Event.js";
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import type { InlineCrashTrap, InlineOwner } from "./InlineCrashTrap.js";
import { ErrorCodes } from "../errors/codes.js";
import { isModuleDefinition, type ModuleContext, type ModuleDefinition } from "../module.js";
import type {
  CrashInfo,
  DefinitionFunction,
  HostEnding,
  HostFault,
  HostInfo,
  SignalSource,
} from "../vocabulary/hosts.js";
import type { HostHook } from "../vocabulary/lifecycle.js";
import type { ModuleHost } from "./ModuleHost.js";
import { ChaosFaults } from "./child/ChaosFaults.js";
import { isPromiseLike } from "../common/isPromiseLike.js";
import { unpackState, type StateParcel } from "./StateParcel.js";
import { crashError } from "./isolated/crashError.js";
import { flushIoMeters } from "./io/ioMeters.js";

const requireEsm = createRequire(import.meta.url);

/** Where an inline module's code comes from: files on disk, or a definition handed over in code. */
export type InlineSource =
  { kind: "file"; dir: string; entry: string } | { kind: "code"; definition: ModuleDefinition };

/**
 * Runs a module in this thread. File modules are imported from their installed directory;
 * after an unload the next import adds a generation query so the code is evaluated afresh
 * (Node cannot evict an ES module; the old copy stays in its cache until the process ends).
 */
export class InlineHost implements ModuleHost, InlineOwner {
  readonly isolation = "inline" as const;
  /** Set when the module threw where no caller could catch it (reported by the trap); cleared by load. */
  crash: CrashInfo | undefined = undefined;
  private readonly crashes = new EventSource<CrashInfo>();
  private readonly stalls = new EventSource<{ method: string; durationMs: number }>();

  private definition: ModuleDefinition | undefined;
  private generation = 0;
  /** Faults a chaos experiment injected (made on the first one). */
  private faults: ChaosFaults | undefined = undefined;
  /** What the module used since it was loaded: the trap adds its synchronous time, the I/O meters its bytes. */
  readonly counters: UsageCounters = zeroUsage();

  /** @param trap attributes escaped errors and stalls to this module; without it, neither is. */
  constructor(
    private readonly source: InlineSource,
    readonly key: string,
    private readonly trap?: InlineCrashTrap,
  ) {}

  onCrash(listener: (crash: CrashInfo) => void): Disposable {
    return this.crashes.subscribe(listener);
  }

  /** Subscribes to stalls: one synchronous stretch of a hook or call took at least the trap's stall threshold. */
  onStall(listener: (stall: { method: string; durationMs: number }) => void): Disposable {
    return this.stalls.subscribe(listener);
  }

  get loaded(): boolean {
    return this.definition !== undefined;
  }

  load(): void | Promise<void> {
    this.crash = undefined;
    this.resetCounters();
    if (this.source.kind === "file") this.trap?.track(this, this.source.dir);
    if (this.source.kind === "code") {
      this.definition = this.source.definition;
      return;
    }
    return this.importFile(this.source);
  }

  private async importFile(source: { dir: string; entry: string }): Promise<void> {
    const url = pathToFileURL(join(source.dir, source.entry)).href;
    let namespace: unknown;
    try {
      namespace = await import(this.generation === 0 ? url : `${url}?generation=${this.generation}`);
    } catch (err) {
      throw this.loadError(err);
    }
    this.definition = this.pick(namespace);
  }

  loadSync(): void {
    this.crash = undefined;
    this.resetCounters();
    if (this.source.kind === "code") {
      this.definition = this.source.definition;
      return;
    }
    if (this.generation > 0) {
      throw new ChipsetError(
        ErrorCodes.SYNC_LOAD_UNSUPPORTED,
        `${this.key} was unloaded before; Node cannot evaluate an ES module afresh synchronously. Use load() instead`,
        { module: this.key },
      );
    }
    let namespace: unknown;
    try {
      namespace = requireEsm(join(this.source.dir, this.source.entry));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === "ERR_REQUIRE_ASYNC_MODULE" || code === "ERR_REQUIRE_ESM") {
        throw new ChipsetError(
          ErrorCodes.SYNC_LOAD_UNSUPPORTED,
          `${this.key} cannot be loaded synchronously (${code}: it uses top-level await). Use load() instead`,
          { module: this.key, cause: err },
        );
      }
      throw this.loadError(err);
    }
    this.definition = this.pick(namespace);
  }

  runHook(hook: HostHook, ctx: ModuleContext): unknown {
    const fn = this.definition?.[hook] as ((...a: unknown[]) => unknown) | undefined;
    if (fn === undefined) return undefined;
    return this.trap
      ? this.trap.run(this, hook, undefined, fn, this.definition, [ctx])
      : fn.call(this.definition, ctx);
  }

  hasHook(hook: HostHook): boolean {
    return typeof this.definition?.[hook] === "function";
  }

  methods(): string[] {
    const api = this.definition?.api as Record<string, unknown> | undefined;
    return api ? Object.keys(api).filter((k) => typeof api[k] === "function") : [];
  }

  hasMethod(method: string): boolean {
    const api = this.definition?.api as Record<string, unknown> | undefined;
    return api !== undefined && Object.hasOwn(api, method) && typeof api[method] === "function";
  }

  call(method: string, args: readonly unknown[], signal?: SignalSource, since?: number): unknown {
    const api = this.definition!.api as Record<string, (...a: unknown[]) => unknown>;
    const fn = api[method]!;
    if (!this.trap) return fn.apply(api, args as unknown[]);
    return this.trap.run(this, method, signal, fn, api, args, since);
  }

  hasFunction(fn: DefinitionFunction): boolean {
    return typeof this.definition?.[fn] === "function";
  }

  callFunction(fn: DefinitionFunction, args: readonly unknown[], signal?: AbortSignal): unknown {
    const f = (this.definition as Record<DefinitionFunction, (...a: unknown[]) => unknown>)[fn];
    return this.trap
      ? this.trap.run(this, fn, signal, f, this.definition, args)
      : f.apply(this.definition, args as unknown[]);
  }

  exportState(signal?: AbortSignal): StateParcel | Promise<StateParcel> {
    // By reference, as before: an inline module's state never leaves this thread.
    const value = this.callFunction("exportState", [], signal);
    return isPromiseLike(value)
      ? Promise.resolve(value).then((state) => ({ kind: "value", value: state }))
      : { kind: "value", value };
  }

  importState(parcel: StateParcel, fromVersion: string, signal?: AbortSignal): unknown {
    // A parcel of bytes (from an isolated version) is read here, once.
    return this.callFunction("importState", [unpackState(parcel), fromVersion], signal);
  }

  reportCrash(kind: "uncaught-exception" | "unhandled-rejection", error: unknown): void {
    if (this.crash || !this.definition) return; // one crash per load; nothing to crash once unloaded
    const what =
      kind === "uncaught-exception" ? "threw where no caller could catch it" : "left a promise rejected";
    this.crash = {
      kind,
      error: new ChipsetError(
        ErrorCodes.MODULE_CRASHED,
        `${this.key} crashed (${kind}): it ${what}: ${messageOf(error)}`,
        {
          module: this.key,
          cause: error,
          details: { kind },
        },
      ),
    };
    this.crashes.emit(this.crash);
  }

  /**
   * Reports the crash the runtime decided on (a failed probe). Code running in this thread cannot
   * be stopped: the restart unloads this copy and evaluates a fresh one.
   */
  end(ending: HostEnding): void {
    if (this.crash || !this.definition) return;
    this.crash = { kind: ending.kind, error: crashError(this.key, ending) };
    this.crashes.emit(this.crash);
  }

  reportStall(method: string, durationMs: number): void {
    this.stalls.emit({ method, durationMs });
  }

  info(): HostInfo {
    return { isolation: "inline", pid: process.pid, threadId: threadId };
  }

  memory(): undefined {
    return undefined;
  }

  /** Its synchronous time (when the trap times it: `inlineCrashes`) and its `fs` and network bytes; no CPU, heap or event-loop figure of its own. */
  usage(): UsageCounters | undefined {
    if (this.definition === undefined) return undefined;
    flushIoMeters(); // the bytes its open sockets carried until now
    return { ...this.counters };
  }

  private resetCounters(): void {
    this.trap?.meterIo();
    flushIoMeters(); // what its sockets carried before this load is not this load's
    Object.assign(this.counters, zeroUsage());
    if (this.trap !== undefined) this.counters.busyUs = 0;
  }

  chaos(fault: HostFault): void {
    // An inline crash is reported as the trap would report the module's own uncaught error.
    if (fault.action === "crash")
      setImmediate(() => this.reportCrash("uncaught-exception", new Error(fault.message)));
    else (this.faults ??= new ChaosFaults()).apply(fault);
  }

  unload(): void {
    this.faults?.apply({ action: "release" });
    if (this.source.kind === "file") this.trap?.untrack(this.source.dir);
    if (this.source.kind === "file" && this.definition !== undefined) this.generation++;
    this.definition = undefined;
  }

  private pick(namespace: unknown): ModuleDefinition {
    const ns = namespace as { module?: unknown; default?: unknown };
    const candidate = isModuleDefinition(ns.module) ? ns.module : ns.default;
    if (isModuleDefinition(candidate)) return candidate;
    const file = this.source.kind === "file" ? join(this.source.dir, this.source.entry) : "(code)";
    throw new ChipsetError(
      ErrorCodes.LOAD_FAILED,
      `${this.key}: ${file} does not export a module definition; export one with ` +
        '`export const module = defineModule({ ... })` (from "chipset/module")',
      { module: this.key, details: { file } },
    );
  }

  private loadError(err: unknown): ChipsetError {
    const file = this.source.kind === "file" ? join(this.source.dir, this.source.entry) : "(code)";
    return new ChipsetError(
      ErrorCodes.LOAD_FAILED,
      `${this.key}: importing ${file} failed: ${messageOf(err)}`,
      {
        module: this.key,
        cause: err,
        details: { file },
      },
    );
  }
}
