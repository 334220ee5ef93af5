import type { Clock } from "../common/Clock.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { InlineHost } from "../hosts/InlineHost.js";
import type { ModuleHost } from "../hosts/ModuleHost.js";
import type { LifecycleCommand } from "../lifecycle/transitions.js";
import type { ModuleProxy } from "../module.js";
import { validateConfig } from "../registry/validateConfig.js";
import type { Catalog, CatalogEntry } from "./Catalog.js";
import { Instance, type InstanceEnv } from "./Instance.js";
import type { KindRegistry } from "./KindRegistry.js";
import type { RuntimeParts } from "./Runtime.js";
import { stateIsActive } from "./states.js";

/** What the factory needs besides the runtime's parts. */
export interface FactoryDeps {
  parts: RuntimeParts;
  clock: Clock;
  catalog: Catalog;
  kinds: KindRegistry;
  active: Map<string, Instance>;
  /** The runtime's proxy for `id`. */
  use(id: string): ModuleProxy<Record<string, never>>;
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
      checkpoint: () => Promise.reject(new Error("checkpoint: not wired yet")),
    };
  }

  /** Creates the instance of a catalogue entry and makes it the active instance of its id. */
  create({ record, definition }: CatalogEntry): Instance {
    const key = `${record.id}@${record.version}`;
    const isolation = record.manifest.isolation ?? "inline";
    if (isolation !== "inline") {
      // Running it inline would silently drop the isolation it asked for.
      throw new ChipsetError(
        ErrorCodes.ISOLATION_UNSUPPORTED,
        `${key} asks for isolation "${isolation}", which this build cannot provide (modules run inline only); ` +
          `set "isolation": "inline" in its manifest for now`,
        { module: key, details: { isolation } },
      );
    }
    const host: ModuleHost = definition
      ? new InlineHost({ kind: "code", definition }, key)
      : new InlineHost({ kind: "file", dir: record.dir!, entry: record.entry! }, key);
    const inst = new Instance(record, host, this.env, this.deps.kinds.defaults(record.manifest.kind));
    inst.baseDir = this.deps.parts.moduleConfigBase[record.id] ?? process.cwd();
    this.deps.active.set(record.id, inst);
    return inst;
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
