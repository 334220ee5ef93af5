import { moduleKey } from "../vocabulary/moduleRef.js";
import { satisfies, validDescending } from "./fastSemver.js";
import type { SelectionRequest, VersionCatalog } from "./Selection.js";

/**
 * A fact the search may be told to leave out: a root request (`root:<index>`) or one requirement
 * of one version (`<id>@<version>\0<target>`). Explaining a conflict searches again with subsets.
 */
export type FactKey = string;

/** The fact key of `from`'s requirement on `target` (`from` is `id@version`). */
export function requirementFact(from: string, target: string): FactKey {
  return `${from}\0${target}`;
}

/** The fact key of root request number `index`. */
export function rootFact(index: number): FactKey {
  return `root:${index}`;
}

/** One requirement met in a search: who (`id@version`, or a root request) asks for `target` in `range`. */
export interface Obligation {
  target: string;
  range: string;
  /** `id@version` of the requiring version, or the root request's `from`. */
  from: string;
  fact: FactKey;
  optional: boolean;
  /** The decision level of the version that placed it (-1: a root, or a fixed version). */
  level: number;
}

/** A search problem: the hard requirements of `roots`, with the choices the caller allows. */
export interface SearchProblem {
  roots: readonly SelectionRequest[];
  catalog: VersionCatalog;
  /** id -> its running version: a singleton keeps it; a module side by side prefers it. */
  pinned: ReadonlyMap<string, string>;
  /** Whether modules that are not singletons may have several versions at once. */
  sideBySide: boolean;
  /** Ids to treat as not singletons whatever their manifests say (to compute a fix). */
  notSingleton?: ReadonlySet<string>;
  /** When given, only these facts count: every other root and requirement is left out. */
  only?: ReadonlySet<FactKey>;
  /** Optional dependencies to treat as hard ones (`requirementFact`s of the optional edges). */
  promoted?: ReadonlySet<FactKey>;
  /** Steps before giving up (default {@link SEARCH_BUDGET}). */
  budget?: number;
}

/** A solution: the chosen versions and each obligation with the version bound to it. */
export interface SearchSolution {
  /** id -> chosen versions, in the order chosen. */
  chosen: Map<string, string[]>;
  bindings: Array<{ obligation: Obligation; version: string }>;
}

/** No solution: the facts that took part in the conflicts met, for an explanation to start from. */
export interface SearchFailure {
  blamed: Set<FactKey>;
  /** True when the search stopped at its step budget rather than exhausting the choices. */
  gaveUp: boolean;
}

/** Steps a search may take before it gives up (each step examines one obligation or one candidate). */
export const SEARCH_BUDGET = 2_000_000;

interface Chosen {
  id: string;
  version: string;
  level: number;
  /** The obligation that chose it (undefined for a pinned version placed up front). */
  by: Obligation | undefined;
}

interface Decision {
  /** Index of the obligation this decision answers. */
  at: number;
  candidates: string[];
  next: number;
  trailMark: number;
  obligationMark: number;
  /** Levels (below this one) that a failure of this decision's candidates depends on. */
  conflicts: Set<number>;
}

/**
 * A complete search for versions meeting every hard requirement of `problem.roots`, by depth-first
 * choice (highest version first) with conflict-directed backjumping: on a conflict it goes back to
 * the latest choice that took part in it, not merely the latest choice, so choices that have
 * nothing to do with a conflict are not tried again in every combination. A singleton has at most
 * one version; with `sideBySide`, a module that is not a singleton gets another version when none
 * of its chosen ones satisfies a requirement. A choice forced by a requirement (one candidate)
 * is not a decision: it belongs to the level of the version that required it.
 * Used when the greedy solver fails: it can choose older versions of dependents and run modules
 * side by side, which the greedy solver never does.
 */
export function searchVersions(problem: SearchProblem): SearchSolution | SearchFailure {
  return new Search(problem).run();
}

class Search {
  private readonly sortedCache = new Map<string, string[]>();
  private readonly candidatesCache = new Map<string, string[]>();
  private readonly obligations: Obligation[] = [];
  private readonly trail: Chosen[] = [];
  private readonly chosen = new Map<string, Chosen[]>();
  private readonly decisions: Decision[] = [];
  private readonly blamed = new Set<FactKey>();
  private steps = 0;

  constructor(private readonly problem: SearchProblem) {}

  run(): SearchSolution | SearchFailure {
    const { roots, only } = this.problem;
    roots.forEach((root, index) => {
      const fact = rootFact(index);
      if (only !== undefined && !only.has(fact)) return;
      this.obligations.push({
        target: root.id,
        range: root.range ?? "*",
        from: root.from ?? "the application",
        fact,
        optional: false,
        level: -1,
      });
    });
    let position = 0;
    while (position < this.obligations.length) {
      if (++this.steps > (this.problem.budget ?? SEARCH_BUDGET)) return { blamed: this.blamed, gaveUp: true };
      const outcome = this.examine(position);
      if (outcome === undefined) {
        position++;
        continue;
      }
      const resumeAt = this.backjump(outcome);
      if (resumeAt === undefined) return { blamed: this.blamed, gaveUp: false };
      position = resumeAt;
    }
    return this.solution();
  }

  /**
   * Meets obligation `at`: already satisfied, or a version chosen for it (a decision when there
   * are several candidates). Answers the conflicting levels when it cannot be met.
   */
  private examine(at: number): Set<number> | undefined {
    const ob = this.obligations[at]!;
    const present = this.chosen.get(ob.target) ?? [];
    if (present.some((c) => satisfies(c.version, ob.range))) return undefined;
    const single = !this.problem.sideBySide || this.isSingleton(ob.target);
    if (single && present.length > 0) {
      const holder = present[0]!;
      this.blame(ob);
      if (holder.by !== undefined) this.blame(holder.by);
      return new Set([ob.level, holder.level]);
    }
    const candidates = this.candidates(ob.target).filter((v) => satisfies(v, ob.range));
    this.steps += candidates.length;
    if (candidates.length === 0) {
      this.blame(ob);
      return new Set([ob.level]);
    }
    if (candidates.length === 1) {
      this.choose(ob, candidates[0]!, ob.level);
      return undefined;
    }
    this.decisions.push({
      at,
      candidates,
      next: 0,
      trailMark: this.trail.length,
      obligationMark: this.obligations.length,
      conflicts: new Set([ob.level]),
    });
    this.choose(ob, candidates[0]!, this.decisions.length - 1);
    return undefined;
  }

  /** Goes back to the latest decision in `conflict` with a candidate left: where to resume, or undefined if none. */
  private backjump(conflict: Set<number>): number | undefined {
    for (;;) {
      const level = Math.max(-1, ...conflict);
      if (level < 0) return undefined;
      this.decisions.length = level + 1;
      const decision = this.decisions[level]!;
      conflict.delete(level);
      for (const l of conflict) decision.conflicts.add(l);
      this.undo(decision.trailMark, decision.obligationMark);
      decision.next++;
      this.blame(this.obligations[decision.at]!);
      if (decision.next < decision.candidates.length) {
        const ob = this.obligations[decision.at]!;
        this.choose(ob, decision.candidates[decision.next]!, level);
        return decision.at + 1;
      }
      this.decisions.length = level;
      conflict = decision.conflicts;
    }
  }

  private undo(trailMark: number, obligationMark: number): void {
    while (this.trail.length > trailMark) {
      const c = this.trail.pop()!;
      const list = this.chosen.get(c.id)!;
      list.pop();
      if (list.length === 0) this.chosen.delete(c.id);
    }
    this.obligations.length = obligationMark;
  }

  private choose(by: Obligation, version: string, level: number): void {
    const id = by.target;
    const entry: Chosen = { id, version, level, by };
    this.trail.push(entry);
    let list = this.chosen.get(id);
    if (list === undefined) this.chosen.set(id, (list = []));
    list.push(entry);
    const from = moduleKey(id, version);
    const { requires, optional } = this.problem.catalog.manifest(id, version);
    const { only, promoted } = this.problem;
    for (const target in requires) {
      if (!Object.hasOwn(requires, target)) continue;
      const fact = requirementFact(from, target);
      if (only !== undefined && !only.has(fact)) continue;
      this.obligations.push({ target, range: requires[target]!, from, fact, optional: false, level });
    }
    if (promoted === undefined || promoted.size === 0) return;
    for (const target in optional) {
      if (!Object.hasOwn(optional, target) || (requires !== undefined && Object.hasOwn(requires, target)))
        continue;
      const fact = requirementFact(from, target);
      if (!promoted.has(fact) || (only !== undefined && !only.has(fact))) continue;
      this.obligations.push({ target, range: optional[target]!, from, fact, optional: true, level });
    }
  }

  private blame(ob: Obligation): void {
    this.blamed.add(ob.fact);
  }

  /** Whether `id` has at most one version at a time: its highest version's manifest says (default true). */
  private isSingleton(id: string): boolean {
    if (this.problem.notSingleton?.has(id)) return false;
    const [highest] = this.sorted(id);
    return highest === undefined || this.problem.catalog.manifest(id, highest).singleton !== false;
  }

  /** The versions of `id` to try, in order: its running version (alone for a singleton), then highest first. */
  private candidates(id: string): string[] {
    let list = this.candidatesCache.get(id);
    if (list !== undefined) return list;
    const all = this.sorted(id);
    const running = this.problem.pinned.get(id);
    if (running === undefined) list = all;
    else if (this.isSingleton(id)) list = [running];
    else list = [running, ...all.filter((v) => v !== running)];
    this.candidatesCache.set(id, list);
    return list;
  }

  private sorted(id: string): string[] {
    let list = this.sortedCache.get(id);
    if (list === undefined)
      this.sortedCache.set(id, (list = validDescending(this.problem.catalog.versions(id))));
    return list;
  }

  private solution(): SearchSolution {
    const chosen = new Map<string, string[]>();
    for (const c of this.trail) {
      let list = chosen.get(c.id);
      if (list === undefined) chosen.set(c.id, (list = []));
      list.push(c.version);
    }
    const bindings = this.obligations.map((obligation) => {
      const fits = chosen.get(obligation.target)!.filter((v) => satisfies(v, obligation.range));
      // Bound to the highest chosen version that fits (several only side by side).
      const version = validDescending(fits)[0]!;
      return { obligation, version };
    });
    return { chosen, bindings };
  }
}
