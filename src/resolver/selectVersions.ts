import { explainConflict } from "./explainConflict.js";
import { overrideRoots, withOverrides } from "./overrides.js";
import { quickSelect } from "./quickSelect.js";
import { searchSelection } from "./searchSelection.js";
import type { Selection, SelectionRequest, VersionCatalog } from "./Selection.js";
import { unsolvable } from "./versionErrors.js";
import { VersionSolver } from "./VersionSolver.js";

/** How a selection is made beyond the requests themselves. */
export interface SelectOptions {
  /** id -> running version: a singleton keeps it; a module that may run side by side prefers it. */
  pinned?: ReadonlyMap<string, string>;
  /** id -> version or range that replaces every range on it (config `overrides`, pnpm-style). */
  overrides?: ReadonlyMap<string, string>;
  /** Whether modules that are not singletons may run several versions at once (default true). */
  sideBySide?: boolean;
}

/**
 * Chooses versions for `roots` and their transitive dependencies. Preferred, in order: one
 * version per module, the highest, the fewest side by side. The common case is answered greedily:
 * for each module the highest installed version that satisfies every constraint on it, iterated
 * to a fixpoint. When that fails, a complete search ({@link searchSelection}) may choose older
 * versions of dependents, and run modules that are not singletons side by side. An optional
 * dependency is used when it can be met along with the rest, else listed in `skippedOptional`,
 * never an error. Throws `CHIP_ERR_MODULE_NOT_FOUND` for a request of a module that is not
 * installed; when there is no selection, `CHIP_ERR_VERSION_CONFLICT` (or `CHIP_ERR_DEPENDENCY_MISSING`)
 * with a derivation of why and the fixes (see {@link explainConflict}).
 */
export function selectVersions(
  roots: readonly SelectionRequest[],
  catalog: VersionCatalog,
  options: SelectOptions = {},
): Selection {
  const pinned = options.pinned ?? new Map<string, string>();
  const overrides = options.overrides ?? new Map<string, string>();
  const requests = overrideRoots(roots, overrides);
  const view = withOverrides(catalog, overrides);
  const quick = quickSelect(requests, view, pinned);
  if (quick !== undefined) return quick;
  const greedy = solveFully(requests, view, pinned);
  if (greedy !== undefined) return greedy;
  const found = searchSelection(requests, view, pinned, options.sideBySide ?? true);
  if ("selected" in found) return found;
  throw unsolvable(explainConflict({ roots: requests, catalog: view, pinned, blamed: found.blamed }));
}

/**
 * The greedy solver without the single-candidate fast path (also for tests comparing the two):
 * undefined when it finds no selection, which leaves the answer to the complete search. Throws
 * `CHIP_ERR_MODULE_NOT_FOUND` for a request of a module that is not installed.
 */
export function solveFully(
  roots: readonly SelectionRequest[],
  catalog: VersionCatalog,
  pinned: ReadonlyMap<string, string> = new Map(),
): Selection | undefined {
  // An optional dependency must never fail a resolution: when a failure traces back to one that
  // was used, that one is skipped and the resolution starts over. Each round skips one more.
  const skipped = new Set<string>();
  for (;;) {
    const outcome = new VersionSolver(catalog, pinned, skipped).solve(roots);
    if ("selected" in outcome) return outcome;
    if (outcome.culprit === undefined) return undefined;
    skipped.add(outcome.culprit);
  }
}
