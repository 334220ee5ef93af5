import type { SelectionRequest, VersionCatalog } from "./Selection.js";

/**
 * The catalogue as seen with `overrides` (id -> version or range, pnpm-style): every range any
 * manifest places on an overridden id is replaced by the override, so each dependent takes the
 * version the override names whatever its own range says.
 */
export function withOverrides(
  catalog: VersionCatalog,
  overrides: ReadonlyMap<string, string>,
): VersionCatalog {
  if (overrides.size === 0) return catalog;
  const cache = new Map<string, ReturnType<VersionCatalog["manifest"]>>();
  const replace = (ranges: Record<string, string> | undefined) => {
    if (ranges === undefined) return undefined;
    let out: Record<string, string> | undefined;
    for (const target in ranges) {
      if (!Object.hasOwn(ranges, target)) continue;
      const forced = overrides.get(target);
      if (forced === undefined || forced === ranges[target]) continue;
      out ??= { ...ranges };
      out[target] = forced;
    }
    return out ?? ranges;
  };
  return {
    versions: (id) => catalog.versions(id),
    manifest: (id, version) => {
      const key = `${id}@${version}`;
      let found = cache.get(key);
      if (found === undefined) {
        const manifest = catalog.manifest(id, version);
        found = {
          ...manifest,
          requires: replace(manifest.requires),
          optional: replace(manifest.optional),
        };
        cache.set(key, found);
      }
      return found;
    },
  };
}

/** `roots` with the range of each overridden id replaced by its override (the `from` says so). */
export function overrideRoots(
  roots: readonly SelectionRequest[],
  overrides: ReadonlyMap<string, string>,
): SelectionRequest[] {
  return roots.map((root) => {
    const forced = overrides.get(root.id);
    return forced === undefined ? root : { ...root, range: forced, from: `overrides.${root.id}` };
  });
}
