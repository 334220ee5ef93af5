import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { LifecycleRunner } from "../lifecycle/LifecycleRunner.js";
import type { LifecycleState } from "../vocabulary/lifecycle.js";
import { moduleKey, parseModuleRef } from "../vocabulary/moduleRef.js";
import { satisfies } from "../resolver/fastSemver.js";
import { selectVersions } from "../resolver/selectVersions.js";
import { selectedKeys, type Selection, type SelectionRequest } from "../resolver/Selection.js";
import type { Catalog } from "./Catalog.js";
import type { CatalogEntry, CatalogView } from "./CatalogView.js";
import type { Instance, ResolvedDependency } from "../instances/Instance.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import { orderModules } from "./orderModules.js";

/** Plans with more roots than this read the whole registry in one query. */
const BULK_PLAN = 32;

/** The outcome of one module in a batch. */
export interface ModuleOutcome {
  id: string;
  version: string;
  ok: boolean;
  error?: ChipsetError;
}

/** The resolver's request for `ref` (`id` or `id@range`). */
export function requestOf(ref: string): SelectionRequest {
  const { id, version } = parseModuleRef(ref);
  return version === undefined ? { id } : { id, range: version };
}

/** Throws the first failed outcome's error, with every outcome attached as `details.outcomes`. */
export function throwFirstFailure(outcomes: readonly ModuleOutcome[]): void {
  const failed = outcomes.find((o) => !o.ok);
  if (!failed) return;
  throw failed.error!.withDetails({
    outcomes: outcomes.map((o) => ({ id: o.id, ok: o.ok, code: o.error?.code })),
  });
}

/** A resolved activation: the instances to bring up, level by level (each level in parallel). */
export interface ActivationPlan {
  levels: Instance[][];
  selection: Selection;
  /** The instance that answers each request, in the order of the requests. */
  roots: Instance[];
}

/** What the activator needs from the runtime. */
export interface ActivatorDeps {
  catalog: Catalog;
  runner: LifecycleRunner;
  /** The live instances (the instance table). */
  instances: InstanceReader;
  /** Creates the instance of `id@version` and puts it in the table (`beside` the other version of a singleton). */
  instantiate(entry: CatalogEntry, beside: boolean): Instance;
  /** True once the runtime is closing: no further level is brought up. */
  closing(): boolean;
  /** The application's own constraints (`use`): the range a request without one selects in, and where it was set. */
  use: ReadonlyMap<string, VersionRule>;
  /** Ranges that replace every range on a module (`overrides`), and where each was set. */
  overrides: ReadonlyMap<string, VersionRule>;
  /** The version an update or rollback made active, by id (the desired state a host loads). */
  activeVersions(): ReadonlyMap<string, string>;
}

/** A range the application set for a module, and where (`chipset.config.json use.lib`). */
export interface VersionRule {
  range: string;
  from: string;
}

/**
 * Turns "I need these modules in this state" into work: resolves versions against what is
 * already active, orders the result into topological levels, and drives each instance along
 * the lifecycle, a level at a time, the modules of one level in parallel. A module whose hard
 * dependency failed is not attempted and fails with `CHIP_ERR_DEPENDENCY_FAILED` naming the chain.
 */
export class Activator {
  private readonly inflight = new Set<Promise<ModuleOutcome[]>>();

  constructor(private readonly deps: ActivatorDeps) {}

  /**
   * Resolves `requests` into instances and levels, creating instances that do not exist yet.
   * With `beside`, the loaded version of that module is not kept, and its new version's
   * instance comes beside the old one (an update starts the new version so).
   */
  plan(requests: readonly SelectionRequest[], beside?: string): ActivationPlan {
    const { selection, depsOf, levels, view, roots } = this.resolve(requests, beside);
    const byKey = new Map<string, Instance>();
    const planned = levels.map((level) =>
      level.map((key) => {
        const inst = this.deps.instances.get(key) ?? this.instantiate(view, key, beside);
        inst.deps = depsOf.get(key) ?? [];
        byKey.set(key, inst);
        return inst;
      }),
    );
    return { selection, levels: planned, roots: roots.map((key) => byKey.get(key)!) };
  }

  private instantiate(view: CatalogView, key: string, beside: string | undefined): Instance {
    const { id, version } = parseModuleRef(key);
    return this.deps.instantiate(view.get(id, version!)!, id === beside);
  }

  /** The load order of `ids` and their dependencies (as `id@version`), without creating anything. */
  planOrder(
    requests: readonly SelectionRequest[],
    /** An id whose loaded versions are not kept (to ask what would be chosen if it were replaced). */
    free?: string,
  ): {
    order: string[];
    levels: string[][];
    selection: Selection;
  } {
    const { selection, levels } = this.resolve(requests, free);
    return { selection, levels, order: levels.flat() };
  }

  private resolve(requests: readonly SelectionRequest[], free?: string) {
    const pinned = new Map<string, string>();
    // A loaded instance keeps its version (a singleton's is its only one); an unloaded one does not.
    // With two versions loaded (an update in progress), the one calls go to now.
    for (const inst of this.deps.instances.all())
      if (inst.state !== "registered" && inst.id !== free && !pinned.has(inst.id))
        pinned.set(inst.id, (this.deps.instances.current(inst.id) ?? inst).version);
    const view = this.deps.catalog.snapshot(requests.length > BULK_PLAN);
    const { use, overrides } = this.deps;
    checkRules(view, "use", use);
    checkRules(view, "overrides", overrides);
    const constrained = requests.map((request) => {
      const rule = request.range === undefined ? use.get(request.id) : undefined;
      return rule === undefined ? request : { ...request, range: rule.range, from: rule.from };
    });
    const ruled = new Map([...overrides].map(([id, rule]) => [id, rule.range]));
    const preferred = this.preferredVersions(view, constrained, pinned, free);
    const select = (pins: ReadonlyMap<string, string>) =>
      selectVersions(constrained, view, { pinned: pins, overrides: ruled });
    let selection: Selection;
    try {
      selection = select(preferred.size === 0 ? pinned : new Map([...pinned, ...preferred]));
    } catch (err) {
      // The active versions are a preference: one that no longer fits (a new range, a removed
      // dependency) yields to the constraints rather than stop the module from loading.
      if (preferred.size === 0) throw err;
      selection = select(pinned);
    }
    const depsOf = new Map<string, ResolvedDependency[]>();
    for (const edge of selection.edges) {
      let list = depsOf.get(edge.from);
      if (!list) depsOf.set(edge.from, (list = []));
      const { id, version } = parseModuleRef(edge.to);
      list.push({ id, version: version!, key: edge.to, optional: edge.optional });
    }
    const levels = orderModules(selectedKeys(selection), (key) =>
      (depsOf.get(key) ?? []).map((d) => ({ id: d.key, optional: d.optional })),
    );
    // Each request is answered by the highest version chosen within its range.
    const roots = constrained.map((r) => {
      const versions = selection.selected.get(r.id)!;
      const range = r.range ?? "*";
      return moduleKey(r.id, versions.find((v) => v === range || satisfies(v, range)) ?? versions[0]!);
    });
    return { selection, depsOf, levels, view, roots };
  }

  /**
   * The active versions (set by updates and rollbacks) of modules not loaded, that are installed
   * and fit the requests on them (`use` rules included): a host loads those rather than the highest.
   */
  private preferredVersions(
    view: CatalogView,
    requests: readonly SelectionRequest[],
    pinned: ReadonlyMap<string, string>,
    free: string | undefined,
  ): Map<string, string> {
    const preferred = new Map<string, string>();
    for (const [id, version] of this.deps.activeVersions()) {
      if (id === free || pinned.has(id) || view.get(id, version) === undefined) continue;
      if (requests.every((r) => r.id !== id || r.range === undefined || satisfies(version, r.range)))
        preferred.set(id, version);
    }
    return preferred;
  }

  /**
   * Brings every instance of `plan` to `target` (`loaded` or `running`). Resolves with one
   * outcome per module; never rejects for a module's failure (the outcome carries it).
   */
  bringUp(
    plan: ActivationPlan,
    target: "loaded" | "running",
    signal?: AbortSignal,
    progress?: (outcome: ModuleOutcome, done: number, total: number) => void,
  ): Promise<ModuleOutcome[]> {
    const work = this.bringUpLevels(plan, target, signal, progress);
    this.inflight.add(work);
    const forget = () => this.inflight.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Resolves once every activation in flight now has settled (shutdown waits for them). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  private async bringUpLevels(
    plan: ActivationPlan,
    target: "loaded" | "running",
    signal: AbortSignal | undefined,
    progress: ((outcome: ModuleOutcome, done: number, total: number) => void) | undefined,
  ): Promise<ModuleOutcome[]> {
    const total = plan.levels.reduce((n, level) => n + level.length, 0);
    const failures = new Map<string, { error: ChipsetError; chain: string[] }>();
    const outcomes: ModuleOutcome[] = [];
    const record = (inst: Instance, error: ChipsetError | undefined) => {
      const outcome: ModuleOutcome = error
        ? { id: inst.id, version: inst.version, ok: false, error }
        : { id: inst.id, version: inst.version, ok: true };
      outcomes.push(outcome);
      progress?.(outcome, outcomes.length, total);
    };
    for (const level of plan.levels) {
      if (this.deps.closing()) {
        for (const inst of level) record(inst, closed(inst));
        continue;
      }
      // Modules that come up synchronously are recorded at once; only the others are awaited.
      const waiting: Array<Promise<void>> = [];
      for (const inst of level) {
        const result = this.bringOne(inst, target, failures, signal);
        if (result instanceof Promise) waiting.push(result.then((error) => record(inst, error)));
        else record(inst, result);
      }
      if (waiting.length > 0) await Promise.all(waiting);
    }
    return outcomes;
  }

  /** Brings one module up: its error, or undefined; a promise of that only if it went asynchronous. */
  private bringOne(
    inst: Instance,
    target: LifecycleState,
    failures: Map<string, { error: ChipsetError; chain: string[] }>,
    signal: AbortSignal | undefined,
  ): ChipsetError | undefined | Promise<ChipsetError | undefined> {
    if (target === "running") {
      const broken = inst.deps.find((d) => !d.optional && failures.has(d.key));
      if (broken) {
        const upstream = failures.get(broken.key)!;
        const chain = [inst.id, ...upstream.chain];
        const error = dependencyFailed(inst, chain, upstream.error);
        failures.set(inst.key, { error, chain });
        return error;
      }
    }
    const failed = (err: unknown) => {
      const error =
        err instanceof ChipsetError
          ? err
          : new ChipsetError(ErrorCodes.HOOK_FAILED, messageOf(err), { cause: err, module: inst.key });
      failures.set(inst.key, { error, chain: [inst.id] });
      return error;
    };
    let pending: void | Promise<void>;
    try {
      pending = this.deps.runner.advanceNow(inst, target, signal);
    } catch (err) {
      return failed(err);
    }
    return pending ? pending.then(() => undefined, failed) : undefined;
  }
}

/** Refuses a `use` or `overrides` entry that names no installed module (`CHIP_ERR_OPTIONS_INVALID`, the field named). */
function checkRules(view: CatalogView, field: string, rules: ReadonlyMap<string, VersionRule>): void {
  for (const [id, rule] of rules) {
    if (view.versions(id).length > 0) continue;
    throw new ChipsetError(
      ErrorCodes.OPTIONS_INVALID,
      `${rule.from} names ${id}, which is not installed: add it (\`chipset add <dir>\`) or remove the entry`,
      { details: { field: `${field}.${id}`, expected: "an installed module id", found: id } },
    );
  }
}

function closed(inst: Instance): ChipsetError {
  return new ChipsetError(ErrorCodes.RUNTIME_CLOSED, `${inst.key} was not started: the runtime is closing`, {
    module: inst.key,
  });
}

function dependencyFailed(inst: Instance, chain: string[], cause: ChipsetError): ChipsetError {
  const failed = chain[chain.length - 1];
  return new ChipsetError(
    ErrorCodes.DEPENDENCY_FAILED,
    `${inst.key} cannot start: its dependency ${failed} failed (${chain.join(" -> ")}): ${cause.message}`,
    { module: inst.key, cause, details: { chain, failed, code: cause.code } },
  );
}
