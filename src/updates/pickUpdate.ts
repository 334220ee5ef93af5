import semver from "semver";
import { ChipsetError, ErrorCodes } from "../errors/index.js";

/**
 * The version to update `current` to: the highest of `available` that is newer than `current`
 * and allowed by `rule`, or undefined when there is none. `rule` is an `"updates.auto"` policy
 * (`"none"` picks nothing, `"patch"` what npm's `~current` allows, `"minor"` what `^current`
 * allows, so for 0.x versions a minor step counts as breaking, as npm treats it) or a semver
 * range (`"^2.0.0"`, `">=1.4 <3"`). Pre-releases are picked only when the range names one of
 * the same version, as npm does. Pure; `available` need not be sorted, invalid versions in it
 * are skipped. Throws `CHIP_ERR_OPTIONS_INVALID` when `current` is not a version or `rule` is
 * neither a policy nor a range.
 */
export function pickUpdate(
  current: string,
  available: readonly string[],
  /** An `AutoUpdatePolicy` or a semver range. */
  rule: string,
): string | undefined {
  const from = semver.valid(current);
  if (from === null) {
    throw new ChipsetError(
      ErrorCodes.OPTIONS_INVALID,
      `Cannot pick an update from ${JSON.stringify(current)}: it is not a semver version; give the installed version, such as "1.4.0".`,
      { details: { field: "current", expected: "a semver version", found: current } },
    );
  }
  if (rule === "none") return undefined;
  const range = rule === "patch" ? `~${from}` : rule === "minor" ? `^${from}` : semver.validRange(rule);
  if (range === null) {
    throw new ChipsetError(
      ErrorCodes.OPTIONS_INVALID,
      `Cannot pick an update of ${from} by ${JSON.stringify(rule)}: expected "none", "patch", "minor" or a semver range such as "^2.0.0".`,
      { details: { field: "rule", expected: '"none", "patch", "minor" or a semver range', found: rule } },
    );
  }
  const newer = available.filter((v) => semver.valid(v) !== null && semver.gt(v, from));
  return semver.maxSatisfying(newer, range) ?? undefined;
}

/** `versions` without invalid ones or duplicates, in ascending semver order (a new array). */
export function sortVersions(versions: Iterable<string>): string[] {
  const valid = new Set<string>();
  for (const v of versions) {
    const clean = semver.valid(v);
    if (clean !== null) valid.add(clean);
  }
  return [...valid].sort(semver.compare);
}
