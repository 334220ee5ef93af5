import { moduleKey } from "../vocabulary/moduleRef.js";
import type { Selection, SelectionRequest, VersionCatalog } from "./Selection.js";
import { satisfies, validDescending } from "./fastSemver.js";
import { moduleNotFound } from "./versionErrors.js";

/** Identifies one optional dependency: `from` optionally uses `target`. */
export type OptionalKey = string;

function optionalKey(from: string, target: string): OptionalKey {
  return `${from}\0${target}`;
}

/**
 * Why a greedy attempt failed: module `failed` has no installed version (`missing`), none that
 * meets every hard constraint on it (`conflict`), or a choice that kept changing (`unsettled`);
 * and the used optional dependency to blame, if any. No error is built here: when the greedy
 * solver fails, the complete search decides, and `explainConflict` tells why it found nothing.
 */
export interface Failure {
  failed: string;
  reason: "missing" | "conflict" | "unsettled";
  culprit: OptionalKey | undefined;
}

/** How often one module's choice may change before the resolution is declared unsettled. */
const MAX_CHANGES_PER_MODULE = 64;

interface Constraint {
  /** Who asks: `id@version`, or `(requested)` for a root (optional constraints are ordered by it). */
  from: string;
  range: string;
  /** The requiring module's id; undefined for a root request. */
  fromId: string | undefined;
  optional: boolean;
}

/**
 * The constraints on one module, kept so that settling it costs its candidate count and its
 * optional constraints, not every constraint on it: a module required by many others is settled
 * again each time one of them changes, and rescanning all of them each time was quadratic.
 */
interface Incoming {
  /** Every constraint, by key (which identifies the source, so that it can be withdrawn), in arrival order. */
  all: Map<string, Constraint>;
  /** The optional ones among them, by key. */
  optional: Map<string, Constraint>;
  hard: number;
  /** For each candidate of the module (`installed(id)`, by index): how many hard constraints it fails. */
  misses: Int32Array;
}

interface Requirements {
  requires: Array<[string, string]>;
  optional: Array<[string, string]>;
}

/**
 * One resolution attempt of `selectVersions`: the current choices and the constraints they
 * place on each other, settled module by module from a work queue until nothing changes.
 */
export class VersionSolver {
  private readonly chosen = new Map<string, string>();
  /** target id -> the constraints on it. */
  private readonly incoming = new Map<string, Incoming>();
  /** Optional constraints currently placed, on any module: without any, no failure has an optional culprit. */
  private optionalCount = 0;
  /** Counts `chosen`'s changes, so that a reachability computed since is known to be current. */
  private epoch = 0;
  private hardReachableCache: { epoch: number; ids: Set<string> } | undefined;
  /**
   * Units of work done: candidates and constraints examined, nodes visited. For tests that show
   * resolution grows linearly with the dependency edges without timing anything.
   */
  work = 0;
  private readonly dirty = new Set<string>();
  /** Modules currently without an acceptable version, with the failure as it was found. */
  private readonly problems = new Map<string, Failure>();
  private readonly problemCounts = new Map<string, number>();
  /** The latest failure found more than once: when choices go round in circles, the one that recurs. */
  private recurring: Failure | undefined;
  /** The latest optional dependency blamed for a failure, in case choices go round in circles. */
  private lastCulprit: OptionalKey | undefined;
  private readonly changes = new Map<string, number>();
  private readonly installedCache = new Map<string, string[]>();
  private readonly requirementsCache = new Map<string, Requirements>();
  private rootIds: string[] = [];
  /** The module whose choice kept changing, once resolution has given up on settling. */
  private unsettled: string | undefined;

  constructor(
    private readonly catalog: VersionCatalog,
    private readonly pinned: ReadonlyMap<string, string>,
    /** Optional dependencies to leave out. */
    private readonly skipped: ReadonlySet<OptionalKey>,
  ) {}

  /** The selection, or why there is none. */
  solve(roots: readonly SelectionRequest[]): Selection | Failure {
    this.rootIds = [...new Set(roots.map((root) => root.id))];
    roots.forEach((root, index) => {
      const range = root.range ?? "*";
      if (this.installed(root.id).length === 0) throw moduleNotFound(root.id, range);
      this.constrain(root.id, `\0root:${index}`, {
        from: "(requested)",
        fromId: undefined,
        range,
        optional: false,
      });
    });
    for (;;) {
      for (const id of this.dirty) {
        this.dirty.delete(id);
        this.settle(id);
        if (this.unsettled !== undefined) return this.unsettledFailure(this.unsettled);
      }
      // Choices withdrawn elsewhere can leave modules (or cycles of them) that only require each
      // other; they are no longer needed and their constraints must not count.
      const reachable = this.reachable();
      const unreachable = [...this.chosen.keys()].filter((id) => !reachable.has(id));
      if (unreachable.length === 0) break;
      for (const id of unreachable) this.choose(id, undefined);
      if (this.unsettled !== undefined) return this.unsettledFailure(this.unsettled);
    }
    const [problem] = this.problems;
    if (problem === undefined) return this.result();
    const [id, failure] = problem;
    return { ...failure, culprit: this.optionalUpstreamOf(id) ?? failure.culprit };
  }

  private unsettledFailure(id: string): Failure {
    const culprit = this.recurring?.culprit ?? this.lastCulprit ?? this.optionalUpstreamOf(id);
    if (this.recurring !== undefined) return { ...this.recurring, culprit };
    return { failed: id, reason: "unsettled", culprit };
  }

  /**
   * The optional dependency nearest upstream of `id` that takes part in deciding it: following the
   * modules whose constraints decide `id`, then those deciding them, the first optional constraint
   * that narrows a chosen module or that leads to a module no chain of hard requirements from the
   * roots reaches. One on `id` itself counts only when there is no other. Undefined when none.
   */
  private optionalUpstreamOf(id: string): OptionalKey | undefined {
    // Called on every failure: with no optional constraint anywhere there is nothing to find, and
    // walking upstream (or computing reachability) each time made 10,000 missing modules quadratic.
    if (this.optionalCount === 0) return undefined;
    let own: OptionalKey | undefined;
    const seen = new Set([id]);
    for (const node of seen) {
      const version = this.chosen.get(node);
      for (const c of this.incoming.get(node)?.all.values() ?? []) {
        this.work++;
        if (c.fromId === undefined) continue;
        if (
          c.optional &&
          ((version !== undefined && satisfies(version, c.range)) || !this.hardReachable().has(node))
        ) {
          const key = optionalKey(c.fromId, node);
          if (node !== id) return key;
          own ??= key;
        }
        seen.add(c.fromId);
      }
    }
    return own;
  }

  /** Records that `id` has no acceptable version and drops it, so that its requirements do not count. */
  private fail(id: string, reason: Failure["reason"]): void {
    const failure: Failure = { failed: id, reason, culprit: this.optionalUpstreamOf(id) };
    this.problems.set(id, failure);
    const count = (this.problemCounts.get(id) ?? 0) + 1;
    this.problemCounts.set(id, count);
    if (count > 1) this.recurring = failure;
    if (failure.culprit !== undefined) this.lastCulprit = failure.culprit;
    this.choose(id, undefined);
  }

  /** Recomputes the choice for `id` from the constraints currently on it. */
  private settle(id: string): void {
    this.problems.delete(id);
    const on = this.incoming.get(id);
    const installed = this.installed(id);
    const hard = on?.hard ?? 0;
    if (hard > 0 && installed.length === 0) {
      this.fail(id, "missing");
      return;
    }
    if (on === undefined || on.all.size === 0 || installed.length === 0) {
      this.choose(id, undefined);
      return;
    }
    this.work += installed.length;
    const misses = on.misses;
    let fits = hard === 0 ? installed : installed.filter((_, i) => misses[i] === 0);
    if (fits.length === 0) {
      this.fail(id, "conflict");
      return;
    }
    let wanted = hard > 0;
    // With one fit left and a hard constraint, the optional ones could only narrow it to nothing.
    const optional = wanted && fits.length === 1 ? [] : [...on.optional.values()];
    this.work += optional.length;
    optional.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
    for (const c of optional) {
      this.work += fits.length;
      const narrowed = fits.filter((v) => satisfies(v, c.range));
      if (narrowed.length > 0) {
        fits = narrowed;
        wanted = true;
      }
    }
    this.choose(id, wanted ? fits[0] : undefined);
  }

  /** Switches `id` to `version` (or drops it), moving the constraints its manifest places on others. */
  private choose(id: string, version: string | undefined): void {
    const previous = this.chosen.get(id);
    if (previous === version) return;
    const count = (this.changes.get(id) ?? 0) + 1;
    this.changes.set(id, count);
    if (count > MAX_CHANGES_PER_MODULE) {
      this.unsettled = id;
      return;
    }
    if (previous !== undefined) {
      const { requires, optional } = this.requirements(id, previous);
      for (const [target] of requires) this.withdraw(target, `${id}\0requires`);
      for (const [target] of optional) this.withdraw(target, `${id}\0optional`);
    }
    this.epoch++;
    if (version === undefined) {
      this.chosen.delete(id);
      return;
    }
    this.chosen.set(id, version);
    const from = moduleKey(id, version);
    const { requires, optional } = this.requirements(id, version);
    for (const [target, range] of requires) {
      this.constrain(target, `${id}\0requires`, { from, fromId: id, range, optional: false });
    }
    for (const [target, range] of optional) {
      if (this.skipped.has(optionalKey(id, target))) continue;
      this.constrain(target, `${id}\0optional`, { from, fromId: id, range, optional: true });
    }
  }

  private constrain(target: string, key: string, constraint: Constraint): void {
    let on = this.incoming.get(target);
    if (on === undefined) {
      on = {
        all: new Map(),
        optional: new Map(),
        hard: 0,
        misses: new Int32Array(this.installed(target).length),
      };
      this.incoming.set(target, on);
    }
    const replaced = on.all.get(key);
    if (replaced !== undefined) this.count(target, on, key, replaced, -1);
    on.all.set(key, constraint);
    this.count(target, on, key, constraint, 1);
    this.markDirty(target);
  }

  private withdraw(target: string, key: string): void {
    const on = this.incoming.get(target);
    const constraint = on?.all.get(key);
    if (on === undefined || constraint === undefined) return;
    on.all.delete(key);
    this.count(target, on, key, constraint, -1);
    this.markDirty(target);
  }

  /** Adds (`delta` 1) or removes (-1) `constraint`'s part in `on`'s tallies. */
  private count(target: string, on: Incoming, key: string, constraint: Constraint, delta: 1 | -1): void {
    if (constraint.optional) {
      if (delta === 1) on.optional.set(key, constraint);
      else on.optional.delete(key);
      this.optionalCount += delta;
      return;
    }
    on.hard += delta;
    const installed = this.installed(target);
    this.work += installed.length;
    for (let i = 0; i < installed.length; i++)
      if (!satisfies(installed[i]!, constraint.range)) on.misses[i]! += delta;
  }

  private markDirty(id: string): void {
    // Re-adding moves the id to the back of the queue: settle it after the changes now in flight.
    this.dirty.delete(id);
    this.dirty.add(id);
  }

  /** True when `from` uses its optional dependency `target` at `range` in the current choices. */
  private usesOptional(from: string, target: string, range: string): boolean {
    const used = this.chosen.get(target);
    return used !== undefined && !this.skipped.has(optionalKey(from, target)) && satisfies(used, range);
  }

  /** {@link reachable} through hard requirements only, computed again only when a choice has changed since. */
  private hardReachable(): Set<string> {
    if (this.hardReachableCache?.epoch !== this.epoch)
      this.hardReachableCache = { epoch: this.epoch, ids: this.reachable(false) };
    return this.hardReachableCache.ids;
  }

  /** Ids reachable from the roots through chosen versions' requirements (and the optional ones they use). */
  private reachable(withOptional = true): Set<string> {
    const seen = new Set(this.rootIds);
    for (const id of seen) {
      this.work++;
      const version = this.chosen.get(id);
      if (version === undefined) continue;
      const { requires, optional } = this.requirements(id, version);
      this.work += requires.length + (withOptional ? optional.length : 0);
      for (const [target] of requires) seen.add(target);
      if (!withOptional) continue;
      for (const [target, range] of optional) if (this.usesOptional(id, target, range)) seen.add(target);
    }
    return seen;
  }

  private result(): Selection {
    const selected = new Map<string, string[]>();
    const edges: Selection["edges"] = [];
    const skippedOptional: Selection["skippedOptional"] = [];
    const key = (id: string) => moduleKey(id, this.chosen.get(id)!);
    for (const id of this.reachable()) {
      const version = this.chosen.get(id);
      if (version === undefined) continue;
      selected.set(id, [version]);
      const from = moduleKey(id, version);
      const { requires, optional } = this.requirements(id, version);
      for (const [to] of requires) edges.push({ from, to: key(to), optional: false });
      for (const [to, range] of optional) {
        if (this.usesOptional(id, to, range)) edges.push({ from, to: key(to), optional: true });
        else
          skippedOptional.push({
            from,
            id: to,
            range,
            reason: this.installed(to).length === 0 ? "absent" : "incompatible",
          });
      }
    }
    return { selected, edges, skippedOptional };
  }

  /** Candidate versions of `id`, highest first: the pinned one alone, or every valid installed one. */
  private installed(id: string): string[] {
    const running = this.pinned.get(id);
    if (running !== undefined) return [running];
    let versions = this.installedCache.get(id);
    if (versions === undefined) {
      versions = validDescending(this.catalog.versions(id));
      this.installedCache.set(id, versions);
    }
    return versions;
  }

  /** The ranges `id@version` places on others; an optional entry also listed in `requires` is hard. */
  private requirements(id: string, version: string): Requirements {
    const key = moduleKey(id, version);
    let found = this.requirementsCache.get(key);
    if (found === undefined) {
      const manifest = this.catalog.manifest(id, version);
      const requires = Object.entries(manifest.requires ?? {});
      const optional = Object.entries(manifest.optional ?? {}).filter(
        ([target]) => !Object.hasOwn(manifest.requires ?? {}, target),
      );
      found = { requires, optional };
      this.requirementsCache.set(key, found);
    }
    return found;
  }
}
