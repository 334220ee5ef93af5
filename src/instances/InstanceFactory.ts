import { resolve } from "node:path";
import type { Logger } from "pino";
import type { Clock } from "../common/Clock.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { HostBridge } from "../hosts/HostBridge.js";
import type { HostPool } from "../hosts/HostPool.js";
import { InlineHost } from "../hosts/InlineHost.js";
import type { InlineCrashTrap } from "../hosts/InlineCrashTrap.js";
import { type HangTolerance, IsolatedHost } from "../hosts/IsolatedHost.js";
import { sandboxFeatures } from "../hosts/sandboxFeatures.js";
import type { ModuleHost } from "../hosts/ModuleHost.js";
import type { IntakeLimits } from "../lifecycle/IntakeGate.js";
import type { ModuleDefinition, ModuleProxy } from "../module.js";
import type { KindDefaults } from "../registry/KindRegistry.js";
import type { CrashInfo } from "../vocabulary/hosts.js";
import { stateIsActive } from "../vocabulary/lifecycle.js";
import { DEFAULT_CHECKPOINT_KB, type ModuleRecord } from "../vocabulary/manifest.js";
import { storeFailed } from "../store/storeFailed.js";
import type { PermissionCeilings } from "../vocabulary/permissions.js";
import { isWasmEntry, wasmLimitsOf } from "../vocabulary/wasm.js";
import { makeModuleProxy } from "../hosts/makeModuleProxy.js";
import { satisfies } from "../resolver/fastSemver.js";
import { Instance, replicaKey, type InstanceEnv } from "./Instance.js";
import { ReplicaGroup, type ReplicaStrategy, type RotationCheck } from "./ReplicaGroup.js";
import { replicaCandidate } from "./replicaCandidate.js";
import type { Candidate } from "../vocabulary/dispatch.js";
import { createWriteDirs, sandboxGrant } from "./sandboxGrant.js";
import { IsolationFallback } from "./IsolationFallback.js";
import type { InstanceTable } from "./InstanceTable.js";

/** What the factory needs to make instances, and where it tells what they do. */
export interface InstanceFactoryOptions {
  clock: Clock;
  logger: Logger;
  /** Bounds on calls waiting while a module is paused. */
  intake: IntakeLimits;
  /** The runtime's default hook timeout, in ms. */
  hookTimeoutMs: number;
  /** A worker or process host silent for this many windows of this many ms in a row is ended as hung. */
  hang: HangTolerance;
  /** Where relative paths in each module's configuration start, by id (absent: the working directory). */
  configBase: (id: string, version: string) => string | undefined;
  /** The operator's ceilings on what sandboxed modules may be granted (config file `permissions`). */
  ceilings: PermissionCeilings;
  /** The defaults of each kind. */
  kinds: { defaults(kind: string): KindDefaults };
  pool: HostPool;
  /** Attributes escaped errors and stalls of inline modules (absent when switched off). */
  trap: InlineCrashTrap | undefined;
  /** The table this factory owns: it is the only part of the runtime that writes to it. */
  table: InstanceTable;
  /** Calls `method` of `id` (or `id@version`): what `ctx.use` proxies do. */
  call(
    id: string,
    method: string,
    args: readonly unknown[],
    signal: AbortSignal | undefined,
  ): Promise<unknown>;
  /** Stores `state` as the last checkpoint of `owner` (a replica of `id@version`, synchronously), refusing one over `maxBytes` serialised. */
  saveCheckpoint(
    owner: { id: string; version: string; replica: number },
    state: unknown,
    maxBytes: number,
  ): void;
  /** An instance's host died (or, inline, the module threw where no caller could catch it). */
  onCrash(inst: Instance, crash: CrashInfo): void;
  /** How calls pick among the replicas of a module with `replicas` (its manifest's strategy). */
  replicaStrategy(manifest: ModuleRecord["manifest"]): ReplicaStrategy;
  /** Whether a replica is in rotation (not down after a crash, ejected or draining). */
  inRotation: RotationCheck<Instance>;
  /** A replica joined its version's group, with the candidate the dispatcher sees of it. */
  replicaJoined(inst: Instance, candidate: Candidate): void;
  /** A replica left its version's group. */
  replicaLeft(inst: Instance): void;
  /** An inline module kept the event loop busy for `durationMs` in one synchronous stretch of `method`. */
  onStall(inst: Instance, method: string, durationMs: number): void;
  /** Why child processes cannot be started here: process modules then run in workers (absent: they can). */
  noProcesses?: string;
}

/**
 * Makes instances and owns the instance table: picks the host for the manifest's isolation,
 * gives each instance the dependency proxies it may use (only what it declared), and puts it in
 * the table, or takes it out when its module leaves the registry.
 */
export class InstanceFactory {
  /** Shared by every instance (one object per runtime, not per module). */
  private readonly env: InstanceEnv;
  /** Each instance's `ctx.use` proxies, by dependency id, made once. */
  private readonly proxies = new WeakMap<Instance, Map<string, ModuleProxy<Record<string, never>>>>();
  private readonly fallback: IsolationFallback;

  constructor(private readonly options: InstanceFactoryOptions) {
    this.fallback = new IsolationFallback(options.noProcesses, options.logger);
    this.env = {
      clock: options.clock,
      logger: options.logger,
      intake: options.intake,
      hookTimeoutMs: options.hookTimeoutMs,
      proxy: (from, target, optional) => this.dependencyProxy(from, target, optional),
      checkpoint: (from, state) => this.checkpoint(from, state),
    };
  }

  /**
   * Creates the instance of `record` (with its in-code `definition`, if any) and puts it in the
   * table; `beside` another version of the same singleton (an update's new version) instead of
   * replacing it.
   */
  create(
    record: ModuleRecord,
    definition: ModuleDefinition | undefined,
    beside = false,
    replica = 0,
  ): Instance {
    const key = replicaKey(record.id, record.version, replica);
    const isolation = this.fallback.isolationOf(record, key);
    refuseUnenforceable(record, key, isolation, definition !== undefined);
    const baseDir = this.options.configBase(record.id, record.version) ?? process.cwd();
    // Hosts call back into their instance (stalls, ctx.use from a worker), made just below.
    const owner = () => inst;
    let host: ModuleHost;
    if (isolation === "inline") {
      const { trap } = this.options;
      const inline = definition
        ? new InlineHost({ kind: "code", definition }, key, trap)
        : new InlineHost({ kind: "file", dir: record.dir!, entry: record.entry! }, key, trap);
      inline.onStall(({ method, durationMs }) => this.options.onStall(owner(), method, durationMs));
      host = inline;
    } else {
      host = this.isolatedHost(record, key, isolation, baseDir, owner);
    }
    const inst = new Instance(
      record,
      host,
      this.env,
      this.options.kinds.defaults(record.manifest.kind),
      replica,
    );
    inst.baseDir = baseDir;
    host.onCrash((crash) => this.options.onCrash(inst, crash));
    // An engine runs in a group too (of one, without replicas): its pool's health watches it.
    if (record.manifest.replicas !== undefined || record.manifest.engine !== undefined) this.group(inst);
    this.options.table.admit(inst, beside);
    return inst;
  }

  /** Puts `inst` in the group of its version's replicas: the first replica makes it, the others join it. */
  private group(inst: Instance): void {
    const group =
      inst.replica === 0
        ? new ReplicaGroup<Instance>(
            inst.key,
            this.options.replicaStrategy(inst.manifest),
            this.options.inRotation,
          )
        : this.options.table.get(replicaKey(inst.id, inst.version, 0))?.group;
    if (group === undefined)
      throw new Error(
        `internal: replica ${inst.replica} of ${inst.id}@${inst.version} made before its first replica`,
      );
    inst.group = group;
    const candidate = replicaCandidate(inst.key, inst.id, inst.manifest);
    group.join(inst, candidate);
    this.options.replicaJoined(inst, candidate);
  }

  /** Makes replica `replica` of `first`'s version beside it (a scale-up); answers it, not yet loaded. */
  replicaOf(first: Instance, replica: number, definition: ModuleDefinition | undefined): Instance {
    return this.create(first.record, definition, false, replica);
  }

  /** Sends calls to the plain id `id` to `inst` from now on (an update's switch; undefined: to the highest). */
  route(id: string, inst: Instance | undefined): void {
    this.options.table.route(id, inst?.key);
  }

  /**
   * While an update's canary runs, `old`'s dependents whose range accepts `next` call through
   * that range (not `old`'s address), so that the call path may send a share of their calls to
   * `next`; `next` undefined ends it.
   */
  canary(old: Instance, next: Instance | undefined): void {
    this.options.table.canary(old.id, old.key, next?.key);
  }

  /** Takes `inst` out of the table (its module left the registry, or the replica was scaled away). */
  forget(inst: Instance): void {
    if (inst.group !== undefined) {
      inst.group.leave(inst);
      this.options.replicaLeft(inst);
    }
    this.options.table.evict(inst);
  }

  private isolatedHost(
    record: ModuleRecord,
    key: string,
    isolation: "worker" | "process",
    baseDir: string,
    owner: () => Instance,
  ): IsolatedHost {
    const { manifest } = record;
    const bridge: HostBridge = {
      use: (target, method, args, optional, signal) => {
        // Same checks as ctx.use in an inline module (declared, and present when optional).
        if (!this.dependencyProxy(owner(), target, optional)) {
          return Promise.reject(
            new ChipsetError(
              ErrorCodes.MODULE_UNAVAILABLE,
              `${key}: optional dependency ${target} is not active`,
              {
                module: key,
                details: { dependency: target },
              },
            ),
          );
        }
        return this.options.call(this.boundRef(owner(), target), method, args, signal);
      },
      checkpoint: (state) => owner().checkpoint(state),
      log: (level, obj, msg) => {
        const log = owner().moduleLogger();
        if (typeof obj === "string" && msg === undefined) log[level](obj);
        else log[level](obj ?? {}, msg);
      },
    };
    const dir = record.dir!;
    const asked = manifest.permissions;
    const permissions =
      asked === undefined ? undefined : sandboxGrant(key, record.id, dir, asked, this.options.ceilings);
    if (permissions !== undefined) createWriteDirs(key, dir, permissions, sandboxFeatures().user);
    return new IsolatedHost({
      isolation,
      key,
      moduleId: record.id,
      version: record.version,
      file: resolve(dir, record.entry!),
      requires: Object.keys(manifest.requires ?? {}),
      optional: Object.keys(manifest.optional ?? {}),
      baseDir,
      ...(manifest.limits?.memoryMb !== undefined ? { memoryMb: manifest.limits.memoryMb } : {}),
      ...(manifest.limits?.pids !== undefined ? { pids: manifest.limits.pids } : {}),
      ...(manifest.limits?.cpuPercent !== undefined ? { cpuPercent: manifest.limits.cpuPercent } : {}),
      ...(permissions === undefined ? {} : { permissions }),
      ...(isWasmEntry(record.entry) ? { wasm: wasmLimitsOf(manifest.engine) } : {}),
      pool: this.options.pool,
      clock: this.options.clock,
      bridge,
      hang: this.options.hang,
    });
  }

  /** `ctx.checkpoint(state)`: a synchronous SQLite write, resolved once it is stored. */
  private checkpoint(from: Instance, state: unknown): Promise<void> {
    try {
      const kb = from.manifest.limits?.checkpointKb ?? DEFAULT_CHECKPOINT_KB;
      this.options.saveCheckpoint(from, state, kb * 1024);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(checkpointFailed(from, err));
    }
  }

  /**
   * The ref `from`'s calls to `target` go to: the version its resolution bound, or the id until
   * it has one. During a canary of that version, its declared range when that accepts the new
   * version (the call path sends a share of those to it).
   */
  private boundRef(from: Instance, target: string): string {
    const bound = from.deps.find((d) => d.id === target);
    if (bound === undefined) return target;
    const canary = this.options.table.canaryOf(target);
    if (canary !== undefined && canary.from === bound.key) {
      const range = from.manifest.requires?.[target] ?? from.manifest.optional?.[target];
      const to = this.options.table.get(canary.to);
      if (range !== undefined && to !== undefined && satisfies(to.version, range))
        return `${target}@${range}`;
    }
    return bound.key;
  }

  /** A proxy to `target` for `from` (declared check); undefined for an absent optional dependency. */
  private dependencyProxy(
    from: Instance,
    target: string,
    optional: boolean,
  ): ModuleProxy<Record<string, never>> | undefined {
    const manifest = from.record.manifest;
    const declared = optional ? manifest.optional : manifest.requires;
    if (!declared || !Object.hasOwn(declared, target)) {
      const field = optional ? "optional" : "requires";
      throw new ChipsetError(
        ErrorCodes.DEPENDENCY_UNDECLARED,
        `${from.key} used ${target} without declaring it; add "${target}" to chipset.${field} in its package.json`,
        { module: from.key, details: { dependency: target, field } },
      );
    }
    if (optional) {
      const chosen = from.deps.some((d) => d.id === target);
      const dep = this.options.table.answering(target, undefined, from);
      if (!chosen || !dep || !stateIsActive(dep.state)) return undefined;
    }
    let mine = this.proxies.get(from);
    if (mine === undefined)
      this.proxies.set(from, (mine = new Map<string, ModuleProxy<Record<string, never>>>()));
    let proxy = mine.get(target);
    if (proxy === undefined) {
      // The version is looked up on each call, not when the proxy is made: a module keeps its
      // proxies, and an update rebinds its dependencies to the new version under it.
      proxy = makeModuleProxy(target, (method, args) =>
        this.options.call(this.boundRef(from, target), method, args, undefined),
      ) as ModuleProxy<Record<string, never>>;
      mine.set(target, proxy);
    }
    return proxy;
  }
}

/** Why `ctx.checkpoint` could not store a state (the store says why in its own errors). */
function checkpointFailed(from: Instance, err: unknown): ChipsetError {
  if (err instanceof ChipsetError) return err;
  return storeFailed(`${from.key}: its checkpoint could not be written`, err, { module: from.key });
}

/**
 * Refuses what the chosen host cannot enforce, rather than run the module without it: Node's
 * permission model applies to a whole process, and a module registered in code is an object in
 * this thread that cannot be moved to another.
 */
function refuseUnenforceable(record: ModuleRecord, key: string, isolation: string, inCode: boolean): void {
  if (record.manifest.permissions && isolation !== "process") {
    throw new ChipsetError(
      ErrorCodes.ISOLATION_UNSUPPORTED,
      `${key} declares permissions, which only a process host can enforce (Node's permission model covers a whole process); ` +
        `set "isolation": "process" in its manifest, or remove "permissions"`,
      { module: key, details: { isolation } },
    );
  }
  if (inCode && isolation !== "inline") {
    throw new ChipsetError(
      ErrorCodes.ISOLATION_UNSUPPORTED,
      `${key} asks for isolation "${isolation}" but was registered in code: its definition lives in this thread. ` +
        `Install it from a directory (runtime.add) to isolate it, or use "isolation": "inline"`,
      { module: key, details: { isolation } },
    );
  }
}
