import type { ModuleRecord } from "../vocabulary/manifest.js";
import { fromToken, toToken } from "./tokens.js";

/** What the catalogue says of a manifest: enough to list a module without fetching it. */
export interface ManifestSummary {
  kind?: string;
  description?: string;
  keywords?: string[];
  provides?: string[];
  isolation?: string;
}

/** One version in a cluster's catalogue (KV `chipset_<cluster>_catalog`), as JSON. */
export interface CatalogEntry {
  id: string;
  version: string;
  /** The sha512 SRI of the package's tarball in the object store. */
  integrity: string;
  /** The installed tree's digest (sha256 hex) on the node that published it. */
  digest: string;
  /** The tarball's name in the object store `chipset_<cluster>_packages`. */
  object: string;
  manifest: ManifestSummary;
  /** The node that published it. */
  addedBy: string;
  /** When, in ms since the epoch. */
  at: number;
}

/** The catalogue key of `id@version`: `<token(id)>.<token(version)>`. */
export function catalogKey(id: string, version: string): string {
  return `${toToken(id)}.${toToken(version)}`;
}

/** The id and version a catalogue key names; undefined for a key Chipset did not make. */
export function parseCatalogKey(key: string): { id: string; version: string } | undefined {
  const parts = key.split(".");
  if (parts.length !== 2) return undefined;
  try {
    return { id: fromToken(parts[0]!), version: fromToken(parts[1]!) };
  } catch {
    return undefined;
  }
}

/** The catalogue entry publishing `record` (which has files) from `node`. */
export function catalogEntryOf(
  record: ModuleRecord,
  integrity: string,
  node: string,
  at: number,
): CatalogEntry {
  const { kind, description, keywords, provides, isolation } = record.manifest;
  const manifest: ManifestSummary = {
    ...(kind === undefined ? {} : { kind }),
    ...(description === undefined ? {} : { description }),
    ...(keywords === undefined ? {} : { keywords: [...keywords] }),
    ...(provides === undefined ? {} : { provides: [...provides] }),
    ...(isolation === undefined ? {} : { isolation }),
  };
  return {
    id: record.id,
    version: record.version,
    integrity,
    digest: record.digest ?? "",
    object: `${record.id}@${record.version}`,
    manifest,
    addedBy: node,
    at,
  };
}

const STRINGS = ["id", "version", "integrity", "digest", "object", "addedBy"] as const;

/**
 * The entry in `text` (a catalogue value), checked to have every field of the right type and to
 * belong under `key`; a message saying what is wrong otherwise (another program wrote the key).
 */
export function parseCatalogEntry(key: string, text: string): CatalogEntry | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `the catalogue entry ${key} is not JSON`;
  }
  if (typeof value !== "object" || value === null) return `the catalogue entry ${key} is not an object`;
  const entry = value as Record<string, unknown>;
  for (const field of STRINGS)
    if (typeof entry[field] !== "string" || entry[field] === "")
      return `the catalogue entry ${key} has no ${field}`;
  if (typeof entry["at"] !== "number") return `the catalogue entry ${key} has no time (at)`;
  if (typeof entry["manifest"] !== "object" || entry["manifest"] === null)
    return `the catalogue entry ${key} has no manifest summary`;
  const { id, version } = entry as unknown as CatalogEntry;
  if (catalogKey(id, version) !== key)
    return `the catalogue entry ${key} names another version: ${id}@${version}`;
  return entry as unknown as CatalogEntry;
}
