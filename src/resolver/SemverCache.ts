import semver from "semver";
import { isPlainVersion, rcompare, satisfies } from "./fastSemver.js";

/**
 * Version checks for one resolution. Plain versions and simple ranges are answered by
 * fastSemver (cached parses); the rest by the semver package, parsed once per resolution.
 * Prereleases match only ranges that name one (semver's default).
 */
export class SemverCache {
  private readonly ranges = new Map<string, semver.Range | null>();

  /** True when `version` satisfies `range`; false when either is not valid semver. */
  satisfies(version: string, range: string): boolean {
    return satisfies(version, range);
  }

  /** True when `range` parses as a semver range. */
  isValidRange(range: string): boolean {
    let parsed = this.ranges.get(range);
    if (parsed === undefined) {
      try {
        parsed = new semver.Range(range);
      } catch {
        parsed = null;
      }
      this.ranges.set(range, parsed);
    }
    return parsed !== null;
  }

  /** The valid semver versions of `versions`, highest first (invalid strings are dropped). */
  sortDescending(versions: readonly string[]): string[] {
    return versions.filter((v) => isPlainVersion(v) || semver.valid(v) !== null).sort(rcompare);
  }
}
