import { satisfies } from "../resolver/fastSemver.js";

/**
 * The entry of a map keyed by module id (the config's `modules`) that applies to `id@version`:
 * the key `id@version` itself, else the first `id@range` whose range `version` satisfies, else
 * `id`. Versions side by side so each get their own configuration where the config gives one.
 */
export function configEntry<T>(entries: ReadonlyMap<string, T>, id: string, version: string): T | undefined {
  const exact = entries.get(`${id}@${version}`);
  if (exact !== undefined) return exact;
  const prefix = `${id}@`;
  for (const [key, value] of entries)
    if (key.startsWith(prefix) && key.length > prefix.length && satisfies(version, key.slice(prefix.length)))
      return value;
  return entries.get(id);
}
