import type { Clock } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";
import { EventSource } from "../common/Event.js";
import { ChipsetError, hasCode, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { ModuleContext } from "../module.js";
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
import type { StateParcel } from "./StateParcel.js";
import type { LoadedMessage, LoadMessage } from "./protocol.js";
import type { Channel, ChannelExit, IsolatedKind } from "./isolated/Channel.js";
import { ChildLink } from "./isolated/ChildLink.js";
import { ChildRequests } from "./isolated/ChildRequests.js";
import { ChildWatch } from "./isolated/ChildWatch.js";
import { classifyExit, crashError, type CrashFacts } from "./isolated/crashError.js";
import type { HostBridge } from "./HostBridge.js";
import type { HostPool } from "./HostPool.js";
import { moduleHostSpec, type HostSpec } from "./isolated/hostSpec.js";
import { HostRequests } from "./isolated/HostRequests.js";
import { PendingRequests } from "./isolated/PendingRequests.js";
import type { HostPermissions } from "./isolated/processArgs.js";
import type { UsageCounters } from "../vocabulary/resources.js";
import type { MemoryReading } from "./isolated/MemoryGauge.js";
import type { HangTolerance } from "./isolated/Watchdog.js";

export type { HangTolerance } from "./isolated/Watchdog.js";

/**
 * Everything an {@link IsolatedHost} needs; paths are absolute. The module's identity, entry
 * file and declarations are what its `load` message carries.
 */
export interface IsolatedHostOptions extends Omit<LoadMessage, "type" | "id"> {
  isolation: IsolatedKind;
  /** Heap limit (worker), or heap and resident-memory limit (process), in MiB; none by default. */
  memoryMb?: number;
  /** Node's permission model for a process host (absolute paths); a worker host cannot have any. */
  permissions?: HostPermissions;
  /** The most processes and threads of a sandboxed process host (`limits.pids`), where a cgroup enforces it. */
  pids?: number;
  /** The CPU quota of a sandboxed process host (`limits.cpuPercent`, % of one CPU), where a cgroup enforces it. */
  cpuPercent?: number;
  pool: HostPool;
  clock: Clock;
  bridge: HostBridge;
  /**
   * No message (heartbeat or other) in `failureThreshold` consecutive windows of `timeoutMs` ms,
   * and the host is ended as hung; a `timeoutMs` of 0 disables the watchdog.
   */
  hang: HangTolerance;
}

const noMethods: ReadonlySet<string> = new Set();

/**
 * Runs a module in a worker thread or a child process, behind the same {@link ModuleHost}
 * interface as an inline host. Requests (load, hooks, calls, definition functions) go out as
 * numbered messages and are settled by the child's answers; the module's own requests (`use`,
 * `checkpoint`, `log`) go to the {@link HostBridge}, and so does its console output, line by line
 * (the routing of one live channel is a `ChildLink`). A watchdog, the heartbeat and the exit of
 * the thread or process tell when the module crashed: every pending request is then rejected
 * with `CHIP_ERR_MODULE_CRASHED` and `onCrash` listeners are told once.
 *
 * The host keeps the event loop alive only while requests are pending: a script awaiting a
 * call does not exit early, and an idle host does not hold the process open.
 */
export class IsolatedHost implements ModuleHost {
  readonly isolation: IsolatedKind;
  // It runs from a message or exit handler: a listener that throws must not crash the runtime's own thread.
  private readonly crashes = new EventSource<CrashInfo>((err) =>
    this.requests.log("error", { err }, `${this.options.key}: a crash listener threw: ${messageOf(err)}`),
  );

  private crashInfo: CrashInfo | undefined;
  private channel: Channel | undefined;
  /** The wiring of `channel` while it is attached. */
  private link: ChildLink | undefined;
  private shape: LoadedMessage | undefined;
  private methodSet: ReadonlySet<string> = noMethods;
  private readonly pending: PendingRequests;
  /** What the host asks of the child (load, hooks, calls, definition functions, state). */
  private readonly out: HostRequests;
  private loading: Promise<void> | undefined;
  /** Bumped by each unload, so that a load it overtook does not attach a host afterwards. */
  private generation = 0;
  /** What the module asks of the runtime (`ctx.use`, checkpoints, log lines). */
  private readonly requests: ChildRequests;
  private readonly spec: HostSpec;
  /** The watchdog, a WebAssembly engine's per-call time limit, and the memory and usage gauges. */
  private readonly watch: ChildWatch;
  private lastInfo: HostInfo;

  constructor(private readonly options: IsolatedHostOptions) {
    this.isolation = options.isolation;
    if (options.isolation === "worker" && options.permissions !== undefined) {
      throw new ChipsetError(
        ErrorCodes.ISOLATION_UNSUPPORTED,
        `${options.key} asks for permissions, which only a process host can enforce; set "isolation": "process" in its manifest`,
        { module: options.key, details: { isolation: options.isolation } },
      );
    }
    this.spec = moduleHostSpec(
      options.isolation,
      options.file,
      options.memoryMb,
      options.permissions,
      options.pids,
      options.cpuPercent,
    );
    this.watch = new ChildWatch(options, (facts) => this.crashed(facts));
    this.pending = new PendingRequests(options.key);
    this.requests = new ChildRequests(options.key, options.bridge, () => this.channel);
    this.lastInfo = { isolation: options.isolation, pid: 0, threadId: 0 };
    this.out = new HostRequests(options.key, options.isolation, this.pending, this.watch.timeLimit, this);
  }

  onCrash(listener: (crash: CrashInfo) => void): Disposable {
    return this.crashes.subscribe(listener);
  }

  get loaded(): boolean {
    return this.shape !== undefined;
  }

  get crash(): CrashInfo | undefined {
    return this.crashInfo;
  }

  /**
   * The child's memory at the latest reading, in bytes (`rss` is the whole process's, for a
   * worker). Readings come with each heartbeat; on Node 24 each call also starts a read of a
   * worker's heap from this thread, which the next call returns.
   */
  memory(): MemoryReading | undefined {
    return this.watch.memory(this.channel, () => this.channel);
  }

  usage(): UsageCounters | undefined {
    if (this.shape === undefined) return undefined;
    return this.watch.used(this.channel, () => this.channel);
  }

  /**
   * Takes a host from the pool and imports the module in it. Rejects with `CHIP_ERR_LOAD_FAILED`
   * (the host is ended), `CHIP_ERR_HOST_START_FAILED`, or the deadline's abort reason.
   * A host that crashed before can be loaded again: this starts afresh.
   */
  load(deadline: { readonly signal: AbortSignal }): Promise<void> {
    if (this.shape !== undefined) return Promise.resolve();
    // Concurrent loads share one host.
    this.loading ??= this.loadOnce(deadline.signal).finally(() => {
      this.loading = undefined;
      // Refill the pool now that the module is in (booting a host during its import slows both).
      this.options.pool.refillSoon(this.spec);
    });
    return this.loading;
  }

  private async loadOnce(signal: AbortSignal): Promise<void> {
    this.crashInfo = undefined;
    const generation = this.generation;
    const { key } = this.options;
    let channel: Channel;
    try {
      channel = await this.options.pool.acquire(this.spec, signal);
    } catch (err) {
      if (!hasCode(err, ErrorCodes.HOST_START_FAILED)) throw err;
      throw new ChipsetError(ErrorCodes.HOST_START_FAILED, `${key}: ${err.message}`, {
        module: key,
        cause: err.cause,
        details: err.details,
      });
    }
    if (generation !== this.generation) {
      channel.terminate();
      throw new ChipsetError(ErrorCodes.MODULE_UNAVAILABLE, `${key} was unloaded while it was loading`, {
        module: key,
      });
    }
    this.attach(channel);
    const { moduleId, version, file, requires, optional, baseDir, wasm } = this.options;
    const fields: Omit<LoadMessage, "type" | "id"> = {
      key,
      moduleId,
      version,
      file,
      requires,
      optional,
      baseDir,
    };
    if (wasm !== undefined) fields.wasm = wasm;
    let loaded: LoadedMessage;
    try {
      loaded = await this.out.load(fields, signal);
    } catch (err) {
      if (this.channel === channel) this.detach();
      throw err;
    }
    this.shape = loaded;
    this.methodSet = new Set(loaded.methods);
  }

  loadSync(): void {
    throw new ChipsetError(
      ErrorCodes.SYNC_LOAD_UNSUPPORTED,
      `${this.options.key}: isolated modules load asynchronously; use load()`,
      { module: this.options.key, details: { isolation: this.isolation } },
    );
  }

  runHook(hook: HostHook, ctx: ModuleContext): unknown {
    if (!this.hasHook(hook)) return undefined;
    const available = this.options.optional.filter((id) => ctx.optional(id) !== undefined);
    return this.out.hook(hook, ctx.config, available, ctx.signal);
  }

  hasHook(hook: HostHook): boolean {
    return hook === "stop" || (this.shape?.hooks.includes(hook) ?? false);
  }

  methods(): string[] {
    return this.shape ? [...this.shape.methods] : [];
  }

  hasMethod(method: string): boolean {
    return this.methodSet.has(method);
  }

  call(method: string, args: readonly unknown[], source?: SignalSource): Promise<unknown> {
    return this.out.call(method, args, source);
  }

  hasFunction(fn: DefinitionFunction): boolean {
    return this.shape?.functions.includes(fn) ?? false;
  }

  callFunction(fn: DefinitionFunction, args: readonly unknown[], signal?: AbortSignal): Promise<unknown> {
    return this.out.callFunction(fn, args, signal);
  }

  /** The old version's half of an update's hand-over: the state comes back as bytes, serialized in the child. */
  exportState(signal?: AbortSignal): Promise<StateParcel> {
    return this.out.exportState(signal);
  }

  /** The new version's half: the bytes go on as they came (a worker's are transferred), read once in the child. */
  importState(parcel: StateParcel, fromVersion: string, signal?: AbortSignal): Promise<unknown> {
    return this.out.importState(parcel, fromVersion, signal);
  }

  /** Tells the module that a dependency changed (`dependencyChanged(payload)` inside it); no answer. */
  notify(event: "dependency", payload: unknown): void {
    if (!this.hasFunction("dependencyChanged")) return;
    try {
      this.channel?.send({ type: "notify", event, payload });
    } catch (err) {
      this.requests.log(
        "warn",
        { err },
        `${this.options.key}: a ${event} notice could not be sent: ${messageOf(err)}`,
      );
    }
  }

  /** Ends the thread or process quietly (no crash); requests still pending are rejected. */
  unload(): void {
    this.generation++;
    if (this.channel === undefined) return;
    this.detach();
    this.pending.rejectAll(
      new ChipsetError(
        ErrorCodes.MODULE_UNAVAILABLE,
        `${this.options.key} was unloaded while the request was pending`,
        {
          module: this.options.key,
        },
      ),
    );
  }

  info(): HostInfo {
    return this.lastInfo;
  }

  end(ending: HostEnding): void {
    this.crashed(ending);
  }

  chaos(fault: HostFault): void {
    this.channel?.send({ type: "chaos", ...fault });
  }

  // ---- the channel's life --------------------------------------------------------------

  private attach(channel: Channel): void {
    this.channel = channel;
    this.lastInfo = { isolation: this.isolation, pid: channel.pid, threadId: channel.threadId };
    const { key, file, memoryMb } = this.options;
    const { isolation, pending, requests } = this;
    const { watchdog, gauge, usage, timeLimit } = this.watch;
    usage.begin(channel);
    this.link = new ChildLink(channel, {
      key,
      file,
      isolation,
      memoryMb,
      pending,
      requests,
      watchdog,
      gauge,
      usage,
      timeLimit,
      crashed: (facts) => this.crashed(facts),
      exited: (exit) => this.onExit(channel, exit),
    });
  }

  /** Lets go of the channel and ends it; returns it. Pending requests are left to the caller. */
  private detach(): Channel | undefined {
    const channel = this.channel;
    if (channel === undefined) return undefined;
    this.channel = undefined;
    this.shape = undefined;
    this.methodSet = noMethods;
    this.link?.close();
    this.link = undefined;
    return channel;
  }

  private onExit(channel: Channel, exit: ChannelExit): void {
    if (channel !== this.channel) return;
    if (exit.terminated) {
      // Ended by someone else (the pool's destroy at shutdown): gone, but not a crash.
      this.unload();
      return;
    }
    this.crashed(classifyExit(this.isolation, exit));
  }

  private crashed(facts: CrashFacts): void {
    if (this.crashInfo !== undefined || this.channel === undefined) return;
    this.detach();
    const error = crashError(this.options.key, facts);
    const crash: CrashInfo = { kind: facts.kind, error };
    if (facts.exitCode !== undefined) crash.exitCode = facts.exitCode;
    if (facts.signal !== undefined) crash.signal = facts.signal;
    this.crashInfo = crash;
    this.pending.rejectAll(error);
    this.crashes.emit(crash);
  }
}
