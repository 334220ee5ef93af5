import { generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../errors/index.js";
import { ChipsetError } from "../errors/index.js";
import type { TrustConfig, TrustedKey } from "./UpdateConfig.js";
import { signedMessage, signaturesOfSigFile, verifySignatures } from "./verifySignatures.js";

const pkg = { name: "@acme/player", version: "1.2.0", integrity: "sha512-abc", source: "test" };
const message = Buffer.from(signedMessage(pkg.name, pkg.version, pkg.integrity));

function edKey(keyid: string): { trusted: TrustedKey; sig: string } {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return {
    trusted: { keyid, algorithm: "ed25519", key: publicKey },
    sig: sign(null, message, privateKey).toString("base64"),
  };
}

function ecKey(keyid: string): { trusted: TrustedKey; sig: string } {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    trusted: { keyid, algorithm: "ecdsa-sha2-nistp256", key: publicKey },
    sig: sign("sha256", message, privateKey).toString("base64"),
  };
}

const trust = (require: boolean, ...keys: TrustedKey[]): TrustConfig => ({ keys, require });

function refusal(check: () => unknown): ChipsetError {
  try {
    check();
  } catch (err) {
    if (err instanceof ChipsetError && err.code === ErrorCodes.SIGNATURE_INVALID) return err;
    throw err;
  }
  throw new Error("expected CHIP_ERR_SIGNATURE_INVALID");
}

describe("verifySignatures", () => {
  it("signs what npm's registry signs: name@version:integrity", () => {
    expect(signedMessage("@acme/player", "1.2.0", "sha512-abc")).toBe("@acme/player@1.2.0:sha512-abc");
  });

  it("verifies ed25519 and ECDSA P-256 (DER) signatures by trusted keys", () => {
    const a = edKey("a");
    const b = ecKey("b");
    expect(verifySignatures(pkg, [{ keyid: "a", sig: a.sig }], trust(true, a.trusted))).toEqual({
      verified: true,
      keyid: "a",
    });
    expect(verifySignatures(pkg, [{ keyid: "b", sig: b.sig }], trust(true, b.trusted))).toEqual({
      verified: true,
      keyid: "b",
    });
  });

  it("answers unverified for no signature or an unknown key when not required, and refuses both when required", () => {
    const a = edKey("a");
    const other = [{ keyid: "zz", sig: a.sig }];
    expect(verifySignatures(pkg, undefined, trust(false, a.trusted))).toEqual({ verified: false });
    expect(verifySignatures(pkg, other, trust(false, a.trusted))).toEqual({ verified: false });
    expect(refusal(() => verifySignatures(pkg, [], trust(true, a.trusted))).details).toMatchObject({
      reason: "missing",
    });
    expect(refusal(() => verifySignatures(pkg, other, trust(true, a.trusted))).details).toMatchObject({
      reason: "unknown-key",
      keyid: "zz",
    });
  });

  it("refuses when any trusted signature fails, even beside a good one and when not required", () => {
    const a = edKey("a");
    const b = edKey("b");
    const signatures = [
      { keyid: "a", sig: a.sig },
      { keyid: "b", sig: a.sig },
    ];
    expect(
      refusal(() => verifySignatures(pkg, signatures, trust(false, a.trusted, b.trusted))).details,
    ).toMatchObject({
      reason: "mismatch",
      keyid: "b",
    });
    const garbled = [{ keyid: "a", sig: "!!not base64, far too short" }];
    expect(refusal(() => verifySignatures(pkg, garbled, trust(false, a.trusted))).details).toMatchObject({
      reason: "mismatch",
    });
  });

  it("reads a .sig file holding one signature or an array of them, ignoring malformed entries", () => {
    expect(signaturesOfSigFile({ keyid: "a", sig: "x" })).toEqual([{ keyid: "a", sig: "x" }]);
    expect(signaturesOfSigFile([{ keyid: "a", sig: "x" }, { keyid: 1 }, null])).toEqual([
      { keyid: "a", sig: "x" },
    ]);
  });
});
