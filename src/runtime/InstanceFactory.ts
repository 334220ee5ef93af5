import type { Clock } from "../common/Clock.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { resolve } from "node:path";
import { InlineHost } from "../hosts/InlineHost.js";
import type { HostPool } from "../hosts/isolated/HostPool.js";
import { IsolatedHost, type HostBridge } from "../hosts/isolated/IsolatedHost.js";
import type { ModuleHost } from "../hosts/ModuleHost.js";
import { type LifecycleCommand, stateIsActive } from "../vocabulary/lifecycle.js";
import type { ModuleProxy } from "../module.js";
import type { ModuleRecord } from "../vocabulary/manifest.js";
import { validateConfig } from "../registry/validateConfig.js";
import type { Catalog } from "./Catalog.js";
import type { CatalogEntry } from "./CatalogView.js";
import { Instance, type InstanceEnv } from "../instances/Instance.js";
import type { KindRegistry } from "../registry/KindRegistry.js";
import type { RuntimeParts } from "./Runtime.js";
import type { InlineCrashTrap } from "../hosts/InlineCrashTrap.js";
import type { Supervisor } from "../supervision/Supervisor.js";
import type { SupervisionStore } from "../supervision/SupervisionStore.js";

/** What the factory needs besides the runtime's parts. */
export interface FactoryDeps {
  parts: RuntimeParts;
  clock: Clock;
  catalog: Catalog;
  kinds: KindRegistry;
  active: Map<string, Instance>;
  /** The runtime's proxy for `id`. */
  use(id: string): ModuleProxy<Record<string, never>>;
  /** Calls `method` of `id` (for `ctx.use` inside isolated modules). */
  call(
    id: string,
    method: string,
    args: readonly unknown[],
    signal: AbortSignal | undefined,
  ): Promise<unknown>;
  pool: HostPool;
  /** Attributes escaped errors and stalls of inline modules (absent when switched off). */
  trap: InlineCrashTrap | undefined;
  supervisor: Supervisor<Instance>;
  store: SupervisionStore;
  /** An inline module stalled the event loop. */
  onStall(inst: Instance, method: string, durationMs: number): void;
}

/**
 * Makes instances: picks the host for the manifest's isolation, gives each instance the
 * dependency proxies it may use (only what it declared), and checks, before a transition, what
 * the lifecycle requires (valid config before `init`; hard dependencies running before `start`).
 */
export class InstanceFactory {
  /** Shared by every instance (one object per runtime, not per module). */
  private readonly env: InstanceEnv;

  constructor(private readonly deps: FactoryDeps) {
    const { options, logger } = deps.parts;
    this.env = {
      clock: deps.clock,
      logger,
      intake: options.pause,
      hookTimeoutMs: options.hookTimeoutMs,
      proxy: (from, target, optional) => this.dependencyProxy(from, target, optional),
      checkpoint: (from, state) => {
        // Synchronous SQLite write: resolved once it is stored. A value that cannot be cloned rejects.
        try {
          deps.store.saveCheckpoint(from.id, from.version, state, deps.clock.wallNow());
          return Promise.resolve();
        } catch (err) {
          return Promise.reject(err instanceof Error ? err : new Error(String(err)));
        }
      },
    };
  }

  /** Creates the instance of a catalogue entry and makes it the active instance of its id. */
  create({ record, definition }: CatalogEntry): Instance {
    const key = `${record.id}@${record.version}`;
    const isolation = record.manifest.isolation ?? "inline";
    refuseUnenforceable(record, key, isolation, definition !== undefined);
    const baseDir = this.deps.parts.moduleConfigBase[record.id] ?? process.cwd();
    // Hosts call back into their instance (stalls, ctx.use from a worker), made just below.
    const owner = () => inst;
    let host: ModuleHost;
    if (isolation === "inline") {
      const inline = definition
        ? new InlineHost({ kind: "code", definition }, key, this.deps.trap)
        : new InlineHost({ kind: "file", dir: record.dir!, entry: record.entry! }, key, this.deps.trap);
      inline.onStall(({ method, durationMs }) => this.deps.onStall(owner(), method, durationMs));
      host = inline;
    } else {
      host = this.isolatedHost(record, key, isolation, baseDir, owner);
    }
    const inst = new Instance(record, host, this.env, this.deps.kinds.defaults(record.manifest.kind));
    inst.baseDir = baseDir;
    host.onCrash((crash) => void this.deps.supervisor.crashed(inst, crash));
    this.deps.active.set(record.id, inst);
    return inst;
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
        return this.deps.call(target, method, args, signal);
      },
      checkpoint: (state) => owner().checkpoint(state),
      log: (level, obj, msg) => {
        const log = owner().moduleLogger();
        if (typeof obj === "string" && msg === undefined) log[level](obj);
        else log[level](obj ?? {}, msg);
      },
    };
    const dir = record.dir!;
    const perms = manifest.permissions;
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
      ...(perms
        ? {
            permissions: {
              fsRead: (perms.fsRead ?? []).map((p) => resolve(dir, p)),
              fsWrite: (perms.fsWrite ?? []).map((p) => resolve(dir, p)),
              childProcess: perms.childProcess ?? false,
              worker: perms.worker ?? false,
            },
          }
        : {}),
      pool: this.deps.pool,
      clock: this.deps.clock,
      bridge,
      hangTimeoutMs: this.deps.parts.options.hosts.hangTimeoutMs,
    });
  }

  /** Throws when `command` may not run on `inst` now; validates and sets config before `init`. */
  guard(inst: Instance, command: LifecycleCommand): void {
    if (command === "init") {
      const schema = inst.record.manifest.configSchema;
      const raw = this.deps.parts.moduleConfig[inst.id] ?? {};
      inst.config = schema ? validateConfig(schema, structuredClone(raw), inst.id) : raw;
    }
    if (command !== "start") return;
    for (const dep of inst.deps) {
      if (dep.optional) continue;
      const other = this.deps.active.get(dep.id);
      // A paused dependency counts: calls to it wait for resume.
      if (!other || (other.state !== "running" && other.state !== "paused")) {
        throw new ChipsetError(
          ErrorCodes.DEPENDENCY_FAILED,
          `${inst.key} cannot start: its dependency ${dep.id} is ${other?.state ?? "not loaded"} (${inst.id} -> ${dep.id}); start ${dep.id} first`,
          { module: inst.key, details: { chain: [inst.id, dep.id], failed: dep.id } },
        );
      }
    }
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
      const dep = this.deps.active.get(target);
      if (!chosen || !dep || !stateIsActive(dep.state)) return undefined;
    }
    return this.deps.use(target);
  }
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
