import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import type { TrustedKeyConfig } from "../../src/updates/UpdateConfig.js";
import { signedMessage, type PackageSignature } from "../../src/updates/verifySignatures.js";

/** A key pair a publisher signs with, and its public half as a config entry. */
export interface SigningKey {
  /** The public key as `"trust.keys"` holds it. */
  readonly config: TrustedKeyConfig;
  /** A signature over `${name}@${version}:${integrity}`, claimed by `keyid` (the key's own by default). */
  sign(name: string, version: string, integrity: string, keyid?: string): PackageSignature;
}

/** An ed25519 key, its public key written as PEM with an explicit `algorithm`. */
export function ed25519Key(keyid: string): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
  return signer({ keyid, key: pem, algorithm: "ed25519" }, privateKey, null);
}

/** An ECDSA P-256 key in the shape of https://registry.npmjs.org/-/npm/v1/keys (base64 SPKI DER, npm's field names). */
export function npmEcdsaKey(keyid: string): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const der = publicKey.export({ type: "spki", format: "der" }).toString("base64");
  const config = {
    keyid,
    keytype: "ecdsa-sha2-nistp256",
    scheme: "ecdsa-sha2-nistp256",
    key: der,
    expires: null,
  };
  return signer(config, privateKey, "sha256");
}

function signer(config: TrustedKeyConfig, privateKey: KeyObject, digest: string | null): SigningKey {
  return {
    config,
    sign(name, version, integrity, keyid = config.keyid) {
      const sig = sign(digest, Buffer.from(signedMessage(name, version, integrity)), privateKey).toString(
        "base64",
      );
      return { keyid, sig };
    },
  };
}
