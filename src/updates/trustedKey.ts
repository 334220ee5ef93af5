import { createPublicKey, type KeyObject } from "node:crypto";
import type { SignatureAlgorithm, TrustedKey, TrustedKeyConfig } from "./UpdateConfig.js";

/** Every algorithm name accepted in `algorithm`, `keytype` or `scheme`. */
export const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = ["ed25519", "ecdsa-sha2-nistp256"];

/** What a config key must look like, for messages. */
export const KEY_FORM =
  'a PEM public key ("-----BEGIN PUBLIC KEY-----...") or a base64 SPKI DER public key, ed25519 or ECDSA P-256';

/** Why a key could not be used, for the validator to phrase. */
export type KeyProblem =
  | { field: "key"; expected: string; reason: string }
  | { field: "algorithm"; expected: string; reason: string };

/**
 * Parses a configured public key with node:crypto: `key` is PEM or base64 SPKI DER, ed25519
 * or ECDSA on P-256 (npm's registry keys). The algorithm comes from `algorithm`, else npm's
 * `keytype`, else the key itself; a key of another type than its stated algorithm is refused.
 * Returns the key, or the problem with it.
 */
export function parseTrustedKey(config: TrustedKeyConfig): TrustedKey | KeyProblem {
  let key: KeyObject;
  try {
    key = config.key.includes("-----BEGIN")
      ? createPublicKey(config.key)
      : createPublicKey({ key: strictBase64(config.key), format: "der", type: "spki" });
  } catch (err) {
    return { field: "key", expected: KEY_FORM, reason: `it does not parse (${(err as Error).message})` };
  }
  const actual = algorithmOf(key);
  if (actual === undefined) {
    const type = key.asymmetricKeyType ?? "unknown";
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return {
      field: "key",
      expected: KEY_FORM,
      reason: `its type is ${type}${curve === undefined ? "" : ` on curve ${curve}`}`,
    };
  }
  const stated = config.algorithm ?? config.keytype;
  if (stated !== undefined && stated !== actual) {
    return {
      field: "algorithm",
      expected: `"${actual}", the algorithm of the key given`,
      reason: `the key is ${actual}, not ${stated}`,
    };
  }
  return { keyid: config.keyid, algorithm: actual, key };
}

/** True when `value` is a parsed key rather than a problem. */
export function isTrustedKey(value: TrustedKey | KeyProblem): value is TrustedKey {
  return "keyid" in value;
}

function algorithmOf(key: KeyObject): SignatureAlgorithm | undefined {
  if (key.asymmetricKeyType === "ed25519") return "ed25519";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1")
    return "ecdsa-sha2-nistp256";
  return undefined;
}

/** Base64 decoded strictly: Buffer.from skips what is not base64, which would hide a typo. */
function strictBase64(text: string): Buffer {
  const compact = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 !== 0)
    throw new Error("not base64 and not PEM");
  return Buffer.from(compact, "base64");
}
