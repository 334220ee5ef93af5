import semver from "semver";

/**
 * Parses each version and range once for one resolution (a resolution tests the same pairs many
 * times). Prereleases match only ranges that name one (semver's default).
 */
export class SemverCache {
  private readonly ranges = new Map<string, semver.Range | null>();
  private readonly versions = new Map<string, semver.SemVer | null>();

  /** True when `version` satisfies `range`; false when either is not valid semver. */
  satisfies(version: string, range: string): boolean {
    const parsedRange = this.range(range);
    const parsedVersion = this.version(version);
    return parsedRange !== null && parsedVersion !== null && parsedRange.test(parsedVersion);
  }

  /** True when `range` parses as a semver range. */
  isValidRange(range: string): boolean {
    return this.range(range) !== null;
  }

  /** The valid semver versions of `versions`, highest first (invalid strings are dropped). */
  sortDescending(versions: readonly string[]): string[] {
    const valid = versions.filter((v) => this.version(v) !== null);
    return valid.sort((a, b) => this.version(b)!.compare(this.version(a)!));
  }

  private range(range: string): semver.Range | null {
    let parsed = this.ranges.get(range);
    if (parsed === undefined) {
      try {
        parsed = new semver.Range(range);
      } catch {
        parsed = null;
      }
      this.ranges.set(range, parsed);
    }
    return parsed;
  }

  private version(version: string): semver.SemVer | null {
    let parsed = this.versions.get(version);
    if (parsed === undefined) {
      parsed = semver.parse(version);
      this.versions.set(version, parsed);
    }
    return parsed;
  }
}
