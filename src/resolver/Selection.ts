/** What the resolver is asked, what it reads, and what it answers. */
import type { ChipsetManifest } from "../vocabulary/manifest.js";

/** What the resolver needs to know about installed modules. */
export interface VersionCatalog {
  /** Installed versions of `id` (any order); empty if not registered. */
  versions(id: string): readonly string[];
  /** Manifest of `id@version`: its `requires` and `optional` ranges, and whether it is a singleton (default true). */
  manifest(id: string, version: string): Pick<ChipsetManifest, "requires" | "optional" | "singleton">;
}

/**
 * A module asked for by the caller; `range` is an exact version or a semver range (default `"*"`).
 * `from` says who asks, for explanations (default `"the application"`), e.g.
 * `"chipset.config.json use.lib"` when the range comes from the config.
 */
export interface SelectionRequest {
  id: string;
  range?: string;
  from?: string;
}

/** An edge of a selection: `from` (`id@version`) requires, or optionally uses, `to` (`id@version`). */
export interface SelectionEdge {
  from: string;
  to: string;
  optional: boolean;
}

/** The outcome of {@link selectVersions}. */
export interface Selection {
  /**
   * id -> the chosen versions, highest first, for the requested modules and their transitive
   * dependencies (roots first, breadth-first): one version, or several of a module that is not a
   * singleton and whose dependents need versions no single one satisfies (side by side).
   */
  selected: Map<string, string[]>;
  /** Dependencies between selected versions, each bound to the version that answers it. */
  edges: SelectionEdge[];
  /** Optional dependencies not used: `from` (a selected `id@version`) wanted `id` in `range`, which is absent or incompatible. */
  skippedOptional: Array<{ from: string; id: string; range: string; reason: "absent" | "incompatible" }>;
}

/** The chosen versions of a selection as `id@version` keys, in selection order. */
export function selectedKeys(selection: Selection): string[] {
  const keys: string[] = [];
  for (const [id, versions] of selection.selected) for (const v of versions) keys.push(`${id}@${v}`);
  return keys;
}
