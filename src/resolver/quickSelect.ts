import { isPlainVersion, rcompare, satisfies } from "./fastSemver.js";
import type { Selection, SelectionRequest, VersionCatalog } from "./Selection.js";

/**
 * The common case in one pass: every module in the closure is taken at its only candidate (one
 * installed, or pinned because it runs) or its highest release, and every constraint accepts
 * them. Then that is the greedy solver's fixpoint, with nothing to decide. Returns undefined as
 * soon as anything calls for the full solver (a missing module, an unmet constraint, an optional
 * dependency whose highest version does not fit), or for the complete search after it, which also
 * make the errors. A property test checks the two agree whenever this answers. It exists because
 * starting 1,000 modules spent a third of its time in the general solver, and 10,000 modules
 * with 5 versions each ten times that.
 */
export function quickSelect(
  roots: readonly SelectionRequest[],
  catalog: VersionCatalog,
  pinned: ReadonlyMap<string, string>,
): Selection | undefined {
  const selected = new Map<string, string>();
  const hard: Array<{ from: string; to: string; range: string }> = [];
  const optional: Array<{ from: string; to: string; range: string }> = [];
  const queue: string[] = [];
  const key = (id: string) => `${id}@${selected.get(id)!}`;

  /** Whether `id` had more than one candidate (then one that does not fit is no answer yet). */
  const several = new Set<string>();
  const candidate = (id: string): string | undefined | null => {
    const fixed = pinned.get(id);
    if (fixed !== undefined) return fixed;
    const versions = catalog.versions(id);
    if (versions.length === 0) return null;
    if (versions.length === 1) return versions[0];
    several.add(id);
    return highestRelease(versions);
  };
  const select = (id: string): boolean => {
    if (selected.has(id)) return true;
    const version = candidate(id);
    if (typeof version !== "string") return false;
    selected.set(id, version);
    queue.push(id);
    return true;
  };
  let head = 0; // an index, not shift(): shift() on a 1,000-long queue is quadratic
  const drain = (): boolean => {
    for (; head < queue.length; head++) {
      const id = queue[head]!;
      const { requires, optional: soft } = catalog.manifest(id, selected.get(id)!);
      // for...in, not Object.entries: no arrays of pairs for every module of a big start.
      for (const to in requires) {
        if (!Object.hasOwn(requires, to)) continue;
        if (!select(to)) return false;
        hard.push({ from: id, to, range: requires[to]! });
      }
      for (const to in soft) {
        // A dependency listed as both required and optional is required.
        if (!Object.hasOwn(soft, to) || (requires !== undefined && Object.hasOwn(requires, to))) continue;
        optional.push({ from: id, to, range: soft[to]! });
      }
    }
    return true;
  };

  for (const root of roots) if (!select(root.id)) return undefined;
  if (!drain()) return undefined;

  const edges: Selection["edges"] = [];
  const skippedOptional: Selection["skippedOptional"] = [];
  for (let i = 0; i < optional.length; i++) {
    const { from, to, range } = optional[i]!;
    if (selected.has(to)) {
      if (satisfies(selected.get(to)!, range)) edges.push({ from: key(from), to: key(to), optional: true });
      else if (several.has(to))
        return undefined; // another version may fit it: the solver decides
      else skippedOptional.push({ from: key(from), id: to, range, reason: "incompatible" });
      continue;
    }
    const version = candidate(to);
    if (version === null) skippedOptional.push({ from: key(from), id: to, range, reason: "absent" });
    else if (version === undefined) return undefined;
    else if (!satisfies(version, range)) {
      if (several.has(to)) return undefined; // another version may fit: the solver decides
      skippedOptional.push({ from: key(from), id: to, range, reason: "incompatible" });
    } else {
      select(to);
      if (!drain()) return undefined;
      edges.push({ from: key(from), to: key(to), optional: true });
    }
  }

  for (const root of roots) if (!satisfies(selected.get(root.id)!, root.range ?? "*")) return undefined;
  for (const { from, to, range } of hard) {
    if (!satisfies(selected.get(to)!, range)) return undefined;
    edges.push({ from: key(from), to: key(to), optional: false });
  }
  const chosen = new Map<string, string[]>();
  for (const [id, version] of selected) chosen.set(id, [version]);
  return { selected: chosen, edges, skippedOptional };
}

/** The highest of `versions` that is a plain release (no prerelease tag); undefined if none is. */
function highestRelease(versions: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const v of versions) {
    if (!isPlainVersion(v)) continue;
    if (best === undefined || rcompare(v, best) < 0) best = v;
  }
  return best;
}
