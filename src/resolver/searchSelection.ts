import { moduleKey } from "../vocabulary/moduleRef.js";
import { rcompare, satisfies } from "./fastSemver.js";
import type { Selection, SelectionRequest, VersionCatalog } from "./Selection.js";
import {
  requirementFact,
  searchVersions,
  type FactKey,
  type SearchFailure,
  type SearchProblem,
  type SearchSolution,
} from "./searchVersions.js";

/** Steps the search for one version per module may take before versions side by side are tried. */
const PREFERENCE_BUDGET = 100_000;

/**
 * The selection for `roots` by complete search, in the order of preference: one version per
 * module (choosing older versions of dependents where that helps), else with modules that are not
 * singletons side by side, as few extra versions as it can. Then the optional dependencies, each
 * used when it can be met together with everything already chosen. Answers the failure of the
 * search (facts to explain it from) when there is no selection.
 */
export function searchSelection(
  roots: readonly SelectionRequest[],
  catalog: VersionCatalog,
  pinned: ReadonlyMap<string, string>,
  sideBySide: boolean,
): Selection | SearchFailure {
  let problem: SearchProblem = { roots, catalog, pinned, sideBySide: false };
  // One version per module is a preference: a search for it that runs long gives way to side by side.
  let found = searchVersions(sideBySide ? { ...problem, budget: PREFERENCE_BUDGET } : problem);
  if (!("chosen" in found)) {
    if (!sideBySide) return found;
    problem = { ...problem, sideBySide: true };
    const again = searchVersions(problem);
    if (!("chosen" in again)) return again;
    found = again;
  }
  const solution = addOptional(problem, found);
  return toSelection(problem.sideBySide ? compact(solution) : solution, catalog);
}

/**
 * Uses each optional dependency of the chosen versions that can be met along with them: one met
 * already is an edge; one that needs another version is tried as a hard requirement, kept when
 * the search still succeeds. Never fails: an optional dependency that cannot be met is left out.
 */
function addOptional(problem: SearchProblem, start: SearchSolution): SearchSolution {
  let solution = start;
  const promoted = new Set<FactKey>();
  const refused = new Set<FactKey>();
  for (let changed = true; changed;) {
    changed = false;
    for (const [id, versions] of solution.chosen) {
      for (const version of versions) {
        const { requires, optional } = problem.catalog.manifest(id, version);
        for (const target in optional) {
          if (!Object.hasOwn(optional, target) || (requires !== undefined && Object.hasOwn(requires, target)))
            continue;
          const fact = requirementFact(moduleKey(id, version), target);
          if (promoted.has(fact) || refused.has(fact)) continue;
          const range = optional[target]!;
          const present = solution.chosen.get(target);
          if (present?.some((v) => satisfies(v, range))) continue;
          if (problem.catalog.versions(target).length === 0) {
            refused.add(fact);
            continue;
          }
          const attempt = searchVersions({ ...problem, promoted: new Set([...promoted, fact]) });
          if ("chosen" in attempt) {
            promoted.add(fact);
            solution = attempt;
            changed = true;
          } else refused.add(fact);
        }
      }
      if (changed) break;
    }
  }
  return solution;
}

/**
 * Drops versions run side by side that another chosen version of the same module can stand in
 * for (every requirement bound to it accepts that one), then the versions only they required:
 * the search adds a version per unmet requirement in the order it meets them, which may be more
 * than needed. Each round is linear in the bindings; rounds repeat while one drops something.
 */
function compact(solution: SearchSolution): SearchSolution {
  let { chosen, bindings } = solution;
  for (;;) {
    const byTarget = new Map<string, SearchSolution["bindings"]>();
    for (const b of bindings) {
      let list = byTarget.get(b.obligation.target);
      if (list === undefined) byTarget.set(b.obligation.target, (list = []));
      list.push(b);
    }
    const rebound = new Map<SearchSolution["bindings"][number], string>();
    for (const [id, versions] of chosen) {
      if (versions.length < 2) continue;
      const left = new Set(versions);
      for (const version of [...versions].sort(rcompare).reverse()) {
        const others = [...left].filter((v) => v !== version);
        const bound = (byTarget.get(id) ?? []).filter((b) => (rebound.get(b) ?? b.version) === version);
        const standIns = bound.map((b) => others.find((v) => satisfies(v, b.obligation.range)));
        if (standIns.some((v) => v === undefined)) continue;
        bound.forEach((b, i) => rebound.set(b, standIns[i]!));
        left.delete(version);
      }
    }
    if (rebound.size === 0) return { chosen, bindings };
    ({ chosen, bindings } = reachableOnly(
      bindings.map((b) => (rebound.has(b) ? { obligation: b.obligation, version: rebound.get(b)! } : b)),
    ));
  }
}

/** Keeps the versions (and their requirements) that the root requests reach through `bindings`. */
function reachableOnly(bindings: SearchSolution["bindings"]): SearchSolution {
  const byFrom = new Map<string, SearchSolution["bindings"]>();
  for (const b of bindings) {
    let list = byFrom.get(b.obligation.from);
    if (list === undefined) byFrom.set(b.obligation.from, (list = []));
    list.push(b);
  }
  const reached = new Set<string>();
  const kept: SearchSolution["bindings"] = [];
  const chosen = new Map<string, string[]>();
  const visit = (b: SearchSolution["bindings"][number]) => {
    kept.push(b);
    const key = moduleKey(b.obligation.target, b.version);
    if (reached.has(key)) return;
    reached.add(key);
    let list = chosen.get(b.obligation.target);
    if (list === undefined) chosen.set(b.obligation.target, (list = []));
    list.push(b.version);
    for (const next of byFrom.get(key) ?? []) visit(next);
  };
  for (const b of bindings) if (b.obligation.fact.startsWith("root:")) visit(b);
  return { chosen, bindings: kept };
}

function toSelection(solution: SearchSolution, catalog: VersionCatalog): Selection {
  const selected = new Map<string, string[]>();
  for (const [id, versions] of solution.chosen) selected.set(id, [...versions].sort(rcompare));
  const edges: Selection["edges"] = [];
  for (const { obligation, version } of solution.bindings) {
    if (obligation.fact.startsWith("root:")) continue;
    edges.push({
      from: obligation.from,
      to: moduleKey(obligation.target, version),
      optional: obligation.optional,
    });
  }
  const skippedOptional: Selection["skippedOptional"] = [];
  for (const [id, versions] of selected) {
    for (const version of versions) {
      const from = moduleKey(id, version);
      const { requires, optional } = catalog.manifest(id, version);
      for (const target in optional) {
        if (!Object.hasOwn(optional, target) || (requires !== undefined && Object.hasOwn(requires, target)))
          continue;
        if (edges.some((e) => e.from === from && e.to.startsWith(`${target}@`) && e.optional)) continue;
        const range = optional[target]!;
        const present = selected.get(target)?.filter((v) => satisfies(v, range)) ?? [];
        if (present.length > 0) {
          edges.push({ from, to: moduleKey(target, present[0]!), optional: true });
          continue;
        }
        const reason = catalog.versions(target).length === 0 ? "absent" : "incompatible";
        skippedOptional.push({ from, id: target, range, reason });
      }
    }
  }
  return { selected, edges, skippedOptional };
}
