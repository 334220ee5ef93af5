import semver from "semver";
import { dependencyGraph, type DependencyGraphView } from "./dependencyGraph.js";
import { ownValue } from "../common/ownValue.js";
import type { LifecycleCommand, LifecycleState } from "../vocabulary/lifecycle.js";
import type { Activation, ChipsetManifest, Isolation, ModuleRecord } from "../vocabulary/manifest.js";
import { moduleKey, parseModuleRef } from "../vocabulary/moduleRef.js";
import { requestOf } from "./Activator.js";
import type { Selection, SelectionRequest } from "../resolver/Selection.js";
import type { Catalog } from "./Catalog.js";
import type { CrashRecord } from "../supervision/SupervisionStore.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import type { VersionWhy } from "./whyVersion.js";
import type { ProbeStatus } from "../supervision/ProbeRunner.js";
import type { UpdateHistory, UpdateHistoryEntry } from "../registry/UpdateHistory.js";
import { configView, type ModuleConfigs, type ModuleConfigView } from "./configView.js";

/** One module version in a listing. */
export interface ModuleSummary {
  id: string;
  version: string;
  kind: string;
  description: string;
  keywords: string[];
  activation: Activation;
  isolation: Isolation;
  /** `code` for modules registered in code, else the directory it was added from. */
  source: string;
  /** The instance's state when this version is active, else `registered`. */
  state: LifecycleState;
  /**
   * Whether it takes calls by its probes: false while its readiness probe holds it out of
   * service or its startup probe has not passed yet, true otherwise (also with no probes).
   */
  ready: boolean;
}

/** A declared dependency and the version it resolves to now (null when none fits). */
export interface DependencyInfo {
  id: string;
  range: string;
  optional: boolean;
  resolved: string | null;
}

/** Everything known about one module version. */
export interface ModuleInfo extends ModuleSummary {
  versions: string[];
  manifest: ChipsetManifest;
  dir: string | null;
  entry: string | null;
  digest: string | null;
  installedAt: number;
  dependencies: DependencyInfo[];
  dependents: Array<{ id: string; version: string; range: string; optional: boolean }>;
  instance: null | {
    state: LifecycleState;
    host: { isolation: Isolation; pid: number; threadId: number };
    calls: number;
    timingsMs: Partial<Record<LifecycleCommand, number>>;
    lastError: null | { code: string; message: string };
    /** Where its probes stand (null when its manifest declares none, or it is not running). */
    probes: ProbeStatus | null;
  };
  /** The most recent crashes of this module id (any version, any process), newest first. */
  crashes: CrashRecord[];
}

/** A node of a dependency tree; `cycle` marks a back edge, `missing` an unresolvable dependency. */
export interface DependencyTree {
  id: string;
  version: string | null;
  range?: string;
  optional?: boolean;
  cycle?: true;
  children: DependencyTree[];
}

/** Read-only questions about the catalogue and the live instances. */
export class RuntimeQueries {
  constructor(
    private readonly catalog: Catalog,
    private readonly instances: InstanceReader,
    private readonly planOrder: (requests: readonly SelectionRequest[]) => {
      order: string[];
      levels: string[][];
      selection: Selection;
    },
    private readonly crashesOf: (id: string) => CrashRecord[],
    private readonly probesOf: (inst: Instance) => ProbeStatus | undefined,
    private readonly whyOf: (id: string, withRefs: readonly string[]) => VersionWhy,
    private readonly stored: { configs: ModuleConfigs; history: Pick<UpdateHistory, "list"> },
  ) {}

  /**
   * Why `id` runs (or would run) at its version: the versions chosen, every constraint on it with
   * who set it, each other installed version with what excluded it, and the conflict's
   * derivation and fixes when the application's modules cannot run together (see `chipset why`).
   * The application is what runs, the eager modules and those the config's `use` names, plus
   * `withRefs` (`id` or `id@range`).
   */
  why(id: string, withRefs: readonly string[] = []): VersionWhy {
    return this.whyOf(id, withRefs);
  }

  /** Every registered module version (installed and in code), filtered by kind and keywords. */
  list(filter: { kind?: string; search?: string } = {}): ModuleSummary[] {
    const stored = this.catalog.registry.list(filter);
    const words = (filter.search ?? "").toLowerCase().split(/\s+/).filter(Boolean);
    const code = this.catalog.codeRecords().filter((r) => {
      if (filter.kind !== undefined && r.manifest.kind !== filter.kind) return false;
      const text = [r.id, r.manifest.description ?? "", ...(r.manifest.keywords ?? [])]
        .join(" ")
        .toLowerCase();
      return words.every((w) => text.includes(w));
    });
    const seen = new Set(code.map((r) => `${r.id}@${r.version}`));
    return [...code, ...stored.filter((r) => !seen.has(`${r.id}@${r.version}`))]
      .sort((a, b) => a.id.localeCompare(b.id) || semver.rcompare(a.version, b.version))
      .map((r) => this.summary(r));
  }

  /** Full information about `ref` (`id` or `id@version`); `CHIP_ERR_MODULE_NOT_FOUND` when unknown. */
  info(ref: string): ModuleInfo {
    const record = this.record(ref);
    const inst = this.instanceOf(record);
    return {
      ...this.summary(record),
      versions: this.catalog.versions(record.id),
      manifest: record.manifest,
      dir: record.dir ?? null,
      entry: record.entry ?? null,
      digest: record.digest ?? null,
      installedAt: record.installedAt,
      dependencies: this.dependencies(`${record.id}@${record.version}`),
      dependents: this.dependents(record.id),
      instance: inst
        ? {
            state: inst.state,
            host: inst.host.info(),
            calls: inst.calls,
            timingsMs: { ...inst.timings },
            lastError: inst.lastError ? { code: inst.lastError.code, message: inst.lastError.message } : null,
            probes: this.probesOf(inst) ?? null,
          }
        : null,
      crashes: this.crashesOf(record.id),
    };
  }

  /** The declared dependencies of `ref` with the highest installed version fitting each range. */
  dependencies(ref: string): DependencyInfo[] {
    const { manifest } = this.record(ref);
    const out: DependencyInfo[] = [];
    for (const [optional, deps] of [
      [false, manifest.requires],
      [true, manifest.optional],
    ] as const) {
      for (const [id, range] of Object.entries(deps ?? {})) {
        out.push({ id, range, optional, resolved: semver.maxSatisfying(this.catalog.versions(id), range) });
      }
    }
    return out;
  }

  /** Every registered module version that requires (or optionally uses) `id`. */
  dependents(id: string): Array<{ id: string; version: string; range: string; optional: boolean }> {
    const stored = this.catalog.registry.dependents(id);
    const code = this.catalog.codeRecords().flatMap((r) => {
      const hard = ownValue(r.manifest.requires, id);
      const soft = ownValue(r.manifest.optional, id);
      if (hard !== undefined) return [{ id: r.id, version: r.version, range: hard, optional: false }];
      if (soft !== undefined) return [{ id: r.id, version: r.version, range: soft, optional: true }];
      return [];
    });
    return [...code, ...stored];
  }

  /** The dependency tree of `ref`, each dependency resolved to its highest fitting version. */
  tree(ref: string): DependencyTree {
    const record = this.record(ref);
    const walk = (
      id: string,
      version: string | null,
      path: Set<string>,
      edge: Partial<DependencyTree>,
    ): DependencyTree => {
      const node: DependencyTree = { id, version, ...edge, children: [] };
      if (version === null) return node;
      if (path.has(id)) return { ...node, cycle: true };
      const next = new Set(path).add(id);
      node.children = this.dependencies(`${id}@${version}`).map((d) =>
        walk(d.id, d.resolved, next, { range: d.range, optional: d.optional }),
      );
      return node;
    };
    return walk(record.id, record.version, new Set(), {});
  }

  /** Load order of `refs` and their dependencies: ids in order, topological levels of ids, and the same levels as `id@version`. */
  order(refs: readonly string[]): { order: string[]; levels: string[][]; keyLevels: string[][] } {
    const plan = this.planOrder(refs.map(requestOf));
    const idOf = (key: string) => parseModuleRef(key).id;
    return {
      order: plan.order.map(idOf),
      levels: plan.levels.map((l) => l.map(idOf)),
      keyLevels: plan.levels,
    };
  }

  /**
   * The configuration `ref`'s module receives (the loaded instance's, else what its next `init`
   * gets: its entry with the schema's defaults), where it was set, and secrets (`writeOnly` in
   * its `configSchema`, or keys named like `password`, `token`, `apiKey`) replaced by
   * `"[redacted]"`. `CHIP_ERR_MODULE_NOT_FOUND` when unknown.
   */
  config(ref: string): ModuleConfigView {
    const record = this.record(ref);
    return configView(record, this.stored.configs, this.instanceOf(record)?.config);
  }

  /**
   * The updates and rollbacks of `ref`'s module id (every version), newest first: at most
   * `limit` (default 50) of the last 200 kept. `CHIP_ERR_MODULE_NOT_FOUND` when unknown.
   */
  updateHistory(ref: string, options: { limit?: number } = {}): UpdateHistoryEntry[] {
    const { id } = this.record(ref);
    return this.stored.history.list(id, Math.max(1, Math.floor(options.limit ?? 50)));
  }

  /** Every registered module and its dependencies, with load levels, or why they cannot be ordered (`GET /v1/graph`). */
  graph(): DependencyGraphView {
    return dependencyGraph(this);
  }

  /** The record `ref` names: `id@version`, the highest within `id@range` (a live one first), or the live or highest version of `id`. */
  private record(ref: string): ModuleRecord {
    const { id, version } = parseModuleRef(ref);
    const live = version === undefined ? this.instances.current(id) : this.instances.answering(id, version);
    // An exact version is read as such (a damaged row says so); a range picks among the good ones.
    const wanted =
      live?.version ?? (version !== undefined && semver.valid(version) !== null ? version : undefined);
    const entry = wanted !== undefined ? this.catalog.get(id, wanted) : this.catalog.highest(id, version);
    if (!entry) throw this.catalog.notFound(ref);
    return entry.record;
  }

  private instanceOf(record: ModuleRecord): Instance | undefined {
    return this.instances.get(moduleKey(record.id, record.version));
  }

  private summary(r: ModuleRecord): ModuleSummary {
    const inst = this.instanceOf(r);
    const probes = inst && this.probesOf(inst);
    return {
      id: r.id,
      version: r.version,
      kind: r.manifest.kind,
      description: r.manifest.description ?? "",
      keywords: r.manifest.keywords ?? [],
      activation: r.manifest.activation ?? "lazy",
      isolation: r.manifest.isolation ?? "inline",
      source: r.source,
      state: inst?.state ?? "registered",
      ready: probes === undefined || (probes.ready && probes.startup === "passed"),
    };
  }
}
