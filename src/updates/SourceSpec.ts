import type { SignatureResult } from "./verifySignatures.js";

/**
 * Where a new version of a module comes from: a module directory, a tarball made by
 * `npm pack`, or the registry that `"sources"` routes the name to.
 */
export type SourceSpec =
  | {
      readonly kind: "directory";
      readonly path: string;
      /** The module it must be (its package.json `name`); any when absent. */
      readonly name?: string;
    }
  | {
      readonly kind: "tarball";
      readonly path: string;
      /** The module it must be (its package.json `name`); any when absent. */
      readonly name?: string;
    }
  | {
      readonly kind: "registry";
      readonly name: string;
      /** For a fetch: an exact version, a dist-tag or a range (its highest version). Default `"latest"`. */
      readonly version?: string;
      /** A registry URL to ask instead of the one `sources` routes the name to. */
      readonly registry?: string;
    };

/** Where a package was found: the kind of source and its path or URL. */
export interface SourceLocation {
  readonly kind: SourceSpec["kind"];
  /** The absolute path of the directory or tarball, or the URL the registry's tarball came from (the packument's for a check). */
  readonly location: string;
}

/** Cancellation and deadline of a check or a fetch. */
export interface SourceRequestOptions {
  /** Cancels the work: it rejects with `CHIP_ERR_ABORTED`, `cause` = `signal.reason`. */
  readonly signal?: AbortSignal;
  /** How long each registry request may take, its body included, in ms. Default: the `UpdateSources` default (30 000). */
  readonly timeoutMs?: number;
}

/** What a check found at a source. */
export interface AvailableVersions {
  readonly name: string;
  /** Every version the source has, ascending in semver order (one for a directory or tarball). */
  readonly versions: readonly string[];
  /** Those of `versions` newer than the `current` given (all of them when none was). */
  readonly newer: readonly string[];
  /** The registry's dist-tags (`{ latest: "2.1.0" }`); for a directory or tarball, `latest` is its version. */
  readonly distTags: Readonly<Record<string, string>>;
  readonly source: SourceLocation;
  /** True when the registry answered 304 Not Modified and the cached packument was used. */
  readonly notModified: boolean;
}

/** Options of `UpdateSources.fetch`. */
export interface FetchOptions extends SourceRequestOptions {
  /**
   * The directory to put the package in: it must not exist yet or be empty, and its parent must
   * exist (a folder of Chipset's data directory, so it can be renamed into the store). It is
   * removed again when the fetch fails.
   */
  readonly staging: string;
  /**
   * An SRI string (`sha512-...`) the package must match: a tarball's bytes (a registry's or a
   * .tgz's), or a directory's tree digest as `FetchedPackage.integrity` gives it.
   */
  readonly integrity?: string;
}

/** A package fetched into its staging directory, checked and ready to be installed. */
export interface FetchedPackage {
  /** The staging directory, holding the package's files (package.json at its top). */
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  /**
   * The SRI of what was fetched: for a tarball or a registry package the sha512 of the tarball
   * (as npm's `dist.integrity`); for a directory `sha256-` and its tree digest in base64.
   */
  readonly integrity: string;
  /** The tree digest (sha256 hex) of `dir`, as the registry records it for an installed module. */
  readonly digest: string;
  readonly signature: SignatureResult;
  readonly source: SourceLocation;
  /** The size of the tarball read, or of a directory's files together, in bytes. */
  readonly bytes: number;
}
