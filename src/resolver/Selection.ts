/** What the resolver is asked, what it reads, and what it answers. */
import type { ChipsetManifest } from "../vocabulary/manifest.js";

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
