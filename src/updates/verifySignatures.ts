import { verify } from "node:crypto";
import { signatureInvalid } from "./sourceErrors.js";
import type { TrustConfig, TrustedKey } from "./UpdateConfig.js";

/**
 * One signature over a package, as npm's registry serves it in `dist.signatures` (and as a
 * `.sig` file beside a tarball holds it): `sig` is base64, DER for ECDSA, the raw 64 bytes for ed25519.
 */
export interface PackageSignature {
  readonly keyid: string;
  readonly sig: string;
}

/** Whether a package's signature was checked, and by which trusted key. */
export interface SignatureResult {
  /** True when a trusted key's signature verified; false when the package is unsigned (or signed only by keys not trusted). */
  readonly verified: boolean;
  /** The trusted key whose signature verified. */
  readonly keyid?: string;
}

/** What a signature covers. */
export interface SignedPackage {
  readonly name: string;
  readonly version: string;
  /** The package tarball's SRI string, exactly as signed (npm's `dist.integrity`). */
  readonly integrity: string;
  /** Where it came from, for messages. */
  readonly source: string;
}

/**
 * The text a package signature signs, the one npm's registry signs:
 * `${name}@${version}:${integrity}`.
 */
export function signedMessage(name: string, version: string, integrity: string): string {
  return `${name}@${version}:${integrity}`;
}

/**
 * Checks `signatures` of `pkg` against the trusted keys with node:crypto. Every signature by a
 * trusted key must verify (a wrong one throws `CHIP_ERR_SIGNATURE_INVALID`, reason `mismatch`,
 * whether or not `trust.require` is set). With `trust.require`, a package with no signature
 * (`missing`) or only signatures by other keys (`unknown-key`) is refused too; without it, such
 * a package is answered as unverified. Malformed entries (no string keyid or sig) are ignored.
 */
export function verifySignatures(
  pkg: SignedPackage,
  signatures: unknown,
  trust: TrustConfig,
): SignatureResult {
  const id = `${pkg.name}@${pkg.version}`;
  const given = wellFormed(signatures);
  const keys = new Map<string, TrustedKey>(trust.keys.map((k) => [k.keyid, k]));
  const trusted = given.filter((s) => keys.has(s.keyid));
  if (trusted.length === 0) {
    if (!trust.require) return { verified: false };
    if (given.length === 0) throw signatureInvalid(id, pkg.source, "missing", undefined);
    throw signatureInvalid(id, pkg.source, "unknown-key", given[0]!.keyid);
  }
  const message = Buffer.from(signedMessage(pkg.name, pkg.version, pkg.integrity), "utf8");
  for (const signature of trusted) {
    if (!verifiesWith(keys.get(signature.keyid)!, message, signature.sig))
      throw signatureInvalid(id, pkg.source, "mismatch", signature.keyid);
  }
  return { verified: true, keyid: trusted[0]!.keyid };
}

/** The signatures of a `.sig` file's JSON: one `{ keyid, sig }` or an array of them. */
export function signaturesOfSigFile(json: unknown): PackageSignature[] {
  return wellFormed(Array.isArray(json) ? json : [json]);
}

function wellFormed(value: unknown): PackageSignature[] {
  if (!Array.isArray(value)) return [];
  const out: PackageSignature[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== "object" || item === null) continue;
    const { keyid, sig } = item as Record<string, unknown>;
    if (typeof keyid === "string" && typeof sig === "string") out.push({ keyid, sig });
  }
  return out;
}

function verifiesWith(key: TrustedKey, message: Buffer, sig: string): boolean {
  const bytes = Buffer.from(sig, "base64");
  try {
    // npm's registry signs with ECDSA P-256 over SHA-256, DER-encoded; ed25519 hashes internally.
    return key.algorithm === "ed25519"
      ? verify(null, message, key.key, bytes)
      : verify("sha256", message, { key: key.key, dsaEncoding: "der" }, bytes);
  } catch {
    return false; // a malformed signature (wrong length, bad DER) verifies nothing
  }
}
