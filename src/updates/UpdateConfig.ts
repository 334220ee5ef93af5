import type { KeyObject } from "node:crypto";

/**
 * One npm-compatible registry new versions may come from (config `"sources"`). Scoped names
 * (`@scope/name`) go to the source whose `scope` matches, others (and scopes no source claims)
 * to the first source without a scope.
 */
export interface RegistrySource {
  /** The registry's base URL, `http:` or `https:` (such as `https://registry.npmjs.org/`). */
  readonly registry: string;
  /** The npm scope this source serves, with its `@` (`"@acme"`); none for the default source. */
  readonly scope?: string;
  /** A token sent as `Authorization: Bearer <token>` to this registry (and to tarballs on its origin). */
  readonly token?: string;
}

/** The signature algorithms Chipset verifies. */
export type SignatureAlgorithm = "ed25519" | "ecdsa-sha2-nistp256";

/**
 * A public key whose signatures Chipset trusts, as written in the config: `{ keyid, key,
 * algorithm? }` (`key`: a PEM or base64 SPKI DER public key), or the shape npm publishes at
 * `/-/npm/v1/keys` (`{ keyid, keytype, scheme, key, expires }`).
 */
export interface TrustedKeyConfig {
  readonly keyid: string;
  readonly key: string;
  /** Inferred from the key when absent. */
  readonly algorithm?: SignatureAlgorithm;
  /** npm's name for the algorithm (`"ecdsa-sha2-nistp256"`). */
  readonly keytype?: string;
  /** npm's name for the signature scheme (`"ecdsa-sha2-nistp256"`). */
  readonly scheme?: string;
  /** When npm retired the key (ISO date), or null; kept, not enforced. */
  readonly expires?: string | null;
}

/** A trusted key once parsed: ready for `crypto.verify`. */
export interface TrustedKey {
  readonly keyid: string;
  readonly algorithm: SignatureAlgorithm;
  readonly key: KeyObject;
}

/** Config `"trust"`: whose signatures count, and whether every package must carry one. */
export interface TrustConfig {
  /** The trusted keys, by `keyid`. */
  readonly keys: readonly TrustedKey[];
  /** Refuse a package without a valid signature by a trusted key. Default false. */
  readonly require: boolean;
}

/**
 * Config `"updates": { "auto" }`: which new versions may be installed without being asked.
 * `"patch"` and `"minor"` allow what npm's `~current` and `^current` allow.
 */
export type AutoUpdatePolicy = "none" | "patch" | "minor";

/**
 * Config `"updates"`: how often the running runtime looks for new versions, and which of them it
 * applies by itself.
 */
export interface UpdatesSettings {
  /** Default `"none"`: new versions are announced (`update.available`), not applied. */
  readonly auto: AutoUpdatePolicy;
  /**
   * How often, in ms, a started runtime checks its sources for new versions (0: never; checks
   * asked for with `checkUpdates()` still run). Default {@link DEFAULT_UPDATE_INTERVAL_MS}.
   */
  readonly intervalMs: number;
}

/** The default of `updates.intervalMs`: ten minutes (a registry answers most checks with a 304). */
export const DEFAULT_UPDATE_INTERVAL_MS = 600_000;

/** The validated `sources`, `trust` and `updates` fields of a config file. */
export interface UpdateConfig {
  /** Default `[]`. */
  readonly sources: readonly RegistrySource[];
  /** Default `{ keys: [], require: false }`. */
  readonly trust: TrustConfig;
  /** Default `{ auto: "none", intervalMs: 600000 }`. */
  readonly updates: UpdatesSettings;
}

/** The config with nothing set: no registries, no trusted keys, no automatic updates, a check every ten minutes. */
export const EMPTY_UPDATE_CONFIG: UpdateConfig = Object.freeze({
  sources: Object.freeze([]),
  trust: Object.freeze({ keys: Object.freeze([]), require: false }),
  updates: Object.freeze({ auto: "none", intervalMs: DEFAULT_UPDATE_INTERVAL_MS }),
});
