import { quickSelect } from "./quickSelect.js";
import type { Selection, SelectionRequest, VersionCatalog } from "./Selection.js";
import { VersionSolver } from "./VersionSolver.js";

/**
 * Chooses one version per module for `roots` and their transitive dependencies: for each module the
 * highest installed version that satisfies every constraint on it (from the roots and from the chosen
 * versions of the modules requiring it), iterated to a fixpoint. `pinned` (id -> running version) are
 * fixed choices. An optional dependency is used when some installed version fits it together with
 * every other constraint and using it does not make the resolution fail; otherwise it is listed in
 * `skippedOptional`, never an error.
 * Throws `CHIP_ERR_MODULE_NOT_FOUND`, `CHIP_ERR_DEPENDENCY_MISSING` or `CHIP_ERR_VERSION_CONFLICT`.
 * The choice is greedy (highest first) and does not backtrack: a conflict may be reported where
 * choosing a lower version of some other module would have avoided it.
 */
export function selectVersions(
  roots: readonly SelectionRequest[],
  catalog: VersionCatalog,
  pinned: ReadonlyMap<string, string> = new Map(),
): Selection {
  return quickSelect(roots, catalog, pinned) ?? solveFully(roots, catalog, pinned);
}

/** {@link selectVersions} without the single-candidate fast path (for tests comparing the two). */
export function solveFully(
  roots: readonly SelectionRequest[],
  catalog: VersionCatalog,
  pinned: ReadonlyMap<string, string> = new Map(),
): Selection {
  // An optional dependency must never fail a resolution: when a failure traces back to one that
  // was used, that one is skipped and the resolution starts over. Each round skips one more.
  const skipped = new Set<string>();
  for (;;) {
    const outcome = new VersionSolver(catalog, pinned, skipped).solve(roots);
    if (!("error" in outcome)) return outcome;
    if (outcome.culprit === undefined) throw outcome.error;
    skipped.add(outcome.culprit);
  }
}
