import semver from "semver";
import { sortVersions } from "./pickUpdate.js";

/** One version of a packument, as much of it as Chipset reads. */
export interface PackumentVersion {
  readonly version: string;
  /** The name the version's manifest claims (should be the packument's). */
  readonly name: string | undefined;
  /** Absolute URL of the tarball. */
  readonly tarball: string;
  /** `dist.integrity` (an SRI string), when the registry gives one. */
  readonly integrity: string | undefined;
  /** `dist.shasum` (sha1, hex): what old packages have instead of an integrity. */
  readonly shasum: string | undefined;
  /** `dist.signatures` as served; checked by `verifySignatures`. */
  readonly signatures: unknown;
}

/** A registry's document about a package: its versions and dist-tags. */
export interface Packument {
  readonly name: string;
  readonly distTags: Readonly<Record<string, string>>;
  readonly versions: ReadonlyMap<string, PackumentVersion>;
}

/**
 * Reads a packument (full or abbreviated, `application/vnd.npm.install-v1+json`) from parsed
 * JSON; returns what is wrong with it instead when it lacks `versions` or a version lacks its
 * `dist.tarball`. Versions that are not semver are left out.
 */
export function parsePackument(json: unknown, name: string): Packument | string {
  if (!isRecord(json)) return "it is not a JSON object";
  const versions = json["versions"];
  if (!isRecord(versions)) return 'it has no "versions" object';
  const parsed = new Map<string, PackumentVersion>();
  for (const [version, manifest] of Object.entries(versions)) {
    if (semver.valid(version) !== version) continue;
    const record = isRecord(manifest) ? manifest : {};
    const dist = record["dist"];
    if (!isRecord(dist) || typeof dist["tarball"] !== "string")
      return `version ${version} has no "dist.tarball"`;
    parsed.set(version, {
      version,
      name: typeof record["name"] === "string" ? record["name"] : undefined,
      tarball: dist["tarball"],
      integrity: typeof dist["integrity"] === "string" ? dist["integrity"] : undefined,
      shasum: typeof dist["shasum"] === "string" ? dist["shasum"] : undefined,
      signatures: dist["signatures"],
    });
  }
  const tags = isRecord(json["dist-tags"]) ? json["dist-tags"] : {};
  const distTags: Record<string, string> = {};
  for (const [tag, version] of Object.entries(tags)) if (typeof version === "string") distTags[tag] = version;
  return { name: typeof json["name"] === "string" ? json["name"] : name, distTags, versions: parsed };
}

/** The packument's versions in ascending semver order. */
export function packumentVersions(packument: Packument): string[] {
  return sortVersions(packument.versions.keys());
}

/**
 * The version `wanted` names in the packument: an exact version, a dist-tag (`"latest"`, the
 * default), or a semver range (its highest version); undefined when there is none.
 */
export function resolveVersion(packument: Packument, wanted = "latest"): string | undefined {
  if (packument.versions.has(wanted)) return wanted;
  const tagged = Object.hasOwn(packument.distTags, wanted) ? packument.distTags[wanted] : undefined;
  if (tagged !== undefined) return packument.versions.has(tagged) ? tagged : undefined;
  if (semver.validRange(wanted) === null) return undefined;
  return semver.maxSatisfying(packumentVersions(packument), wanted) ?? undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
