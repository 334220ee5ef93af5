import ssri from "ssri";
import { expectName, type FetchContext } from "./FetchContext.js";
import { extractTarball, type ExpectedIntegrity } from "./extractTarball.js";
import { packumentVersions, resolveVersion, type PackumentVersion } from "./packument.js";
import { readDirectoryIdentity } from "./readDirectoryIdentity.js";
import type { PackumentAnswer } from "./RegistryClient.js";
import { packageInvalid, sourceFailed } from "./sourceErrors.js";
import type { FetchedPackage } from "./SourceSpec.js";
import { stagedTree } from "./stagingDir.js";
import { verifySignatures } from "./verifySignatures.js";

/**
 * Fetches `name` at `wanted` (version, dist-tag or range; default `latest`) from the registry
 * its scope routes to: the signature in the packument is checked first (nothing is downloaded
 * for a package that would be refused), then the tarball streams into the staging directory
 * while its bytes are hashed against the packument's `dist.integrity` (and the caller's), and
 * the package.json it holds must name the same package and version.
 */
export async function fetchRegistry(
  name: string,
  wanted: string | undefined,
  context: FetchContext,
): Promise<FetchedPackage> {
  const request = { signal: context.signal, timeoutMs: context.timeoutMs };
  let answer = await context.registry.packument(name, request);
  const version = resolveVersion(answer.packument, wanted);
  if (version === undefined) throw noVersion(answer, name, wanted ?? "latest");
  let meta = answer.packument.versions.get(version)!;
  // An abbreviated document may leave out what a check needs: ask for the full one then.
  if (
    (meta.integrity === undefined && meta.shasum === undefined) ||
    (context.trust.keys.length > 0 && meta.signatures === undefined)
  ) {
    answer = await context.registry.packument(name, { ...request, full: true });
    meta = answer.packument.versions.get(version) ?? meta;
  }
  const pkg = `${name}@${version}`;
  const integrity = distIntegrity(meta, answer, pkg);
  const signature = verifySignatures(
    { name, version, integrity: meta.integrity ?? integrity, source: answer.url },
    meta.signatures,
    context.trust,
  );
  const tarball = tarballUrl(meta, answer, pkg);
  const download = await context.registry.tarball(tarball, answer.source, pkg, request);
  const expected: ExpectedIntegrity[] = [{ integrity, from: "registry" }];
  if (context.integrity !== undefined) expected.push({ integrity: context.integrity, from: "caller" });
  const extracted = await extractTarball(download.chunks, context.staging, {
    pkg,
    source: tarball,
    expected,
  });
  const identity = readDirectoryIdentity(context.staging, tarball);
  expectName(name, identity.name, tarball);
  if (identity.version !== version) {
    throw packageInvalid(
      { reason: "wrong-package", source: tarball, package: pkg },
      `The tarball of ${pkg} at ${tarball} holds version ${identity.version}`,
    );
  }
  const { digest } = stagedTree(context.staging, pkg, tarball);
  return {
    dir: context.staging,
    name,
    version,
    integrity: extracted.integrity,
    digest,
    signature,
    source: { kind: "registry", location: tarball },
    bytes: extracted.bytes,
  };
}

/** The version's integrity: `dist.integrity`, else its sha1 `dist.shasum` as an SRI (as npm does for old packages). */
function distIntegrity(meta: PackumentVersion, answer: PackumentAnswer, pkg: string): string {
  const integrity =
    meta.integrity ??
    (meta.shasum !== undefined && /^[0-9a-f]{40}$/i.test(meta.shasum)
      ? ssri.fromHex(meta.shasum, "sha1").toString()
      : undefined);
  if (integrity !== undefined && supported(integrity)) return integrity;
  throw sourceFailed(
    { reason: "bad-response", source: answer.url, package: pkg },
    `${answer.url} gives no usable dist.integrity or dist.shasum for ${pkg}${integrity === undefined ? "" : ` (found ${JSON.stringify(integrity)})`}, so its tarball cannot be checked`,
    "Publish it again to a registry that records integrity (any npm since version 5 does).",
  );
}

/** True for an SRI string with a sha1, sha256, sha384 or sha512 hash. */
export function supported(integrity: string): boolean {
  const parsed = ssri.parse(integrity);
  return ["sha1", "sha256", "sha384", "sha512"].some((a) => (parsed[a]?.length ?? 0) > 0);
}

function tarballUrl(meta: PackumentVersion, answer: PackumentAnswer, pkg: string): string {
  try {
    const url = new URL(meta.tarball);
    if (url.protocol === "http:" || url.protocol === "https:") return url.toString();
  } catch {
    // reported below
  }
  throw sourceFailed(
    { reason: "bad-response", source: answer.url, package: pkg },
    `${answer.url} gives ${JSON.stringify(meta.tarball)} as the tarball of ${pkg}, not an http: or https: URL`,
    "The registry is misconfigured: tell its operator.",
  );
}

function noVersion(answer: PackumentAnswer, name: string, wanted: string) {
  const versions = packumentVersions(answer.packument);
  const shown =
    versions.length > 10 ? `..., ${versions.slice(-10).join(", ")}` : versions.join(", ") || "none";
  return sourceFailed(
    { reason: "no-version", source: answer.url, package: name, range: wanted },
    `${answer.source.registry} has no version of ${name} matching ${JSON.stringify(wanted)} (it has ${shown})`,
    "Check the version or range asked for, or publish that version.",
  );
}
