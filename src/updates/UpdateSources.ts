import path from "node:path";
import semver from "semver";
import ssri from "ssri";
import { abortError } from "../common/abort.js";
import { systemClock, type Clock } from "../common/Clock.js";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { expectName } from "./FetchContext.js";
import { fetchDirectory } from "./fetchDirectory.js";
import { fetchRegistry, supported } from "./fetchRegistry.js";
import { fetchTarball } from "./fetchTarball.js";
import { packumentVersions } from "./packument.js";
import { readDirectoryIdentity } from "./readDirectoryIdentity.js";
import { readTarballIdentity } from "./readTarballIdentity.js";
import { RegistryClient } from "./RegistryClient.js";
import type {
  AvailableVersions,
  FetchedPackage,
  FetchOptions,
  SourceRequestOptions,
  SourceSpec,
} from "./SourceSpec.js";
import { makeStagingDir, removeStagingDir } from "./stagingDir.js";
import type { UpdateConfig } from "./UpdateConfig.js";
import { isHttpUrl } from "./validateUpdateConfig.js";

/** How {@link UpdateSources} runs. */
export interface UpdateSourcesOptions {
  /** The clock request deadlines run on. Default: the system clock. */
  clock?: Clock;
  /** Default deadline of one registry request, its body included, in ms. Default 30 000. */
  timeoutMs?: number;
}

/** The default deadline of one registry request, in ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Where new versions of modules come from: finds the versions a source has ({@link check}) and
 * fetches one into a staging directory, checked ({@link fetch}). Sources are module
 * directories, `npm pack` tarballs and the npm-compatible registries of `config.sources`.
 * Keeps each registry answer with its ETag in memory, so a repeated check costs the registry a
 * 304. Holds no handle: nothing to dispose.
 */
export class UpdateSources {
  private readonly registry: RegistryClient;

  constructor(
    private readonly config: Pick<UpdateConfig, "sources" | "trust">,
    private readonly options: UpdateSourcesOptions = {},
  ) {
    this.registry = this.client(config.sources);
  }

  private client(sources: UpdateConfig["sources"]): RegistryClient {
    return new RegistryClient(
      sources,
      this.options.clock ?? systemClock,
      this.options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    );
  }

  /**
   * The client for `spec`: the configured sources, or the one registry `spec.registry` names
   * (with the token of a configured source on the same URL, if any).
   */
  private clientFor(spec: SourceSpec): RegistryClient {
    if (spec.kind !== "registry" || spec.registry === undefined) return this.registry;
    const url = spec.registry;
    if (!isHttpUrl(url))
      throw new ChipsetError(
        ErrorCodes.OPTIONS_INVALID,
        `The registry ${JSON.stringify(url)} is not an http: or https: URL without a user or password; give one such as https://registry.npmjs.org/ (a token goes in "sources")`,
        { details: { field: "registry", value: url } },
      );
    const token = this.config.sources.find((s) => sameUrl(s.registry, url))?.token;
    return this.client([{ registry: url, ...(token === undefined ? {} : { token }) }]);
  }

  /**
   * The URL of the registry `"sources"` routes package `name` to (by its scope, else the
   * default source), or undefined when no source serves it.
   */
  registryFor(name: string): string | undefined {
    try {
      return this.registry.sourceFor(name).registry;
    } catch {
      return undefined;
    }
  }

  /**
   * The versions `spec`'s source has, and those newer than `current` (a version; all when
   * absent). A registry's packument (abbreviated) is revalidated with its ETag. Throws
   * `CHIP_ERR_SOURCE_FAILED` when the source cannot be read or reached or lacks the package,
   * `CHIP_ERR_PACKAGE_INVALID` for a tarball or directory without a usable package.json,
   * `CHIP_ERR_ABORTED` when `signal` fires.
   */
  async check(
    spec: SourceSpec,
    options: SourceRequestOptions & { current?: string } = {},
  ): Promise<AvailableVersions> {
    const current = options.current === undefined ? undefined : validVersion(options.current);
    if (options.signal?.aborted === true) throw abortError(options.signal, "the update check");
    if (spec.kind === "registry") {
      const answer = await this.clientFor(spec).packument(spec.name, options);
      const versions = packumentVersions(answer.packument);
      return {
        name: spec.name,
        versions,
        newer: newerThan(versions, current),
        distTags: answer.packument.distTags,
        source: { kind: "registry", location: answer.url },
        notModified: answer.notModified,
      };
    }
    const location = path.resolve(spec.path);
    const identity =
      spec.kind === "directory" ? readDirectoryIdentity(location) : await readTarballIdentity(location);
    expectName(spec.name, identity.name, location);
    const versions = semver.valid(identity.version) === null ? [] : [identity.version];
    return {
      name: identity.name,
      versions,
      newer: newerThan(versions, current),
      distTags: { latest: identity.version },
      source: { kind: spec.kind, location },
      notModified: false,
    };
  }

  /**
   * Fetches the package `spec` names into `options.staging` and checks it: the registry's
   * `dist.integrity` and the caller's `integrity` while the bytes stream, the signature against
   * `trust`, every tarball entry before it is written. On any failure the staging directory is
   * removed and the error says why: `CHIP_ERR_INTEGRITY_MISMATCH`, `CHIP_ERR_SIGNATURE_INVALID`,
   * `CHIP_ERR_PACKAGE_INVALID`, `CHIP_ERR_SOURCE_FAILED`, `CHIP_ERR_STORE_FAILED` (the staging
   * directory cannot be written), `CHIP_ERR_OPTIONS_INVALID` (a bad `integrity` or a staging
   * directory that is not empty, checked before anything is made), `CHIP_ERR_ABORTED`.
   */
  async fetch(spec: SourceSpec, options: FetchOptions): Promise<FetchedPackage> {
    if (options.integrity !== undefined) checkIntegrityOption(options.integrity);
    if (options.signal?.aborted === true) throw abortError(options.signal, "the fetch");
    const registry = this.clientFor(spec);
    const staging = path.resolve(options.staging);
    makeStagingDir(staging);
    const context = {
      trust: this.config.trust,
      registry,
      staging,
      integrity: options.integrity,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    };
    try {
      if (spec.kind === "directory") return fetchDirectory(spec.path, spec.name, context);
      if (spec.kind === "tarball") return await fetchTarball(spec.path, spec.name, context);
      return await fetchRegistry(spec.name, spec.version, context);
    } catch (err) {
      removeStagingDir(staging);
      throw err;
    }
  }
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}

function newerThan(versions: readonly string[], current: string | undefined): string[] {
  return current === undefined ? [...versions] : versions.filter((v) => semver.gt(v, current));
}

function validVersion(version: string): string {
  const valid = semver.valid(version);
  if (valid !== null) return valid;
  throw new ChipsetError(
    ErrorCodes.OPTIONS_INVALID,
    `${JSON.stringify(version)} is not a semver version; give the installed version as "current", such as "1.4.0".`,
    { details: { field: "current", expected: "a semver version", found: version } },
  );
}

function checkIntegrityOption(integrity: string): void {
  if (supported(integrity) && ssri.parse(integrity).toString() !== "") return;
  throw new ChipsetError(
    ErrorCodes.OPTIONS_INVALID,
    `The integrity ${JSON.stringify(integrity)} is not an SRI string; expected one such as "sha512-<base64>" (npm's dist.integrity), with sha1, sha256, sha384 or sha512.`,
    { details: { field: "integrity", expected: "an SRI string (sha512-...)", found: integrity } },
  );
}
