import type { ChipsetManifest } from "../vocabulary/manifest.js";
import { quickSelect } from "./quickSelect.js";
import { VersionSolver } from "./VersionSolver.js";

/** What the resolver needs to know about installed modules. */
export interface VersionCatalog {
  /** Installed versions of `id` (any order); empty if not registered. */
  versions(id: string): readonly string[];
  /** Manifest of `id@version` (its `requires` and `optional` ranges). */
  manifest(id: string, version: string): Pick<ChipsetManifest, "requires" | "optional">;
}

/** A module asked for by the caller; `range` is an exact version or a semver range (default `"*"`). */
export interface SelectionRequest {
  id: string;
  range?: string;
}

/** The outcome of {@link selectVersions}. */
export interface Selection {
  /** id -> chosen version, for the requested modules and their transitive dependencies (roots first, breadth-first). */
  selected: Map<string, string>;
  /** Dependencies between selected ids: `from` requires (or optionally uses) `to`. */
  edges: Array<{ from: string; to: string; optional: boolean }>;
  /** Optional dependencies not used: `from` (a selected id) wanted `id` in `range`, which is absent or incompatible. */
  skippedOptional: Array<{ from: string; id: string; range: string; reason: "absent" | "incompatible" }>;
}

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
