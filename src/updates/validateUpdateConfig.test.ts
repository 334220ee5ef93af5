import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../errors/index.js";
import { validateUpdateConfig, type ConfigProblem } from "./validateUpdateConfig.js";

const ed = generateKeyPairSync("ed25519").publicKey;
const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey;
const pem = (key: typeof ed): string => key.export({ type: "spki", format: "pem" }).toString();
const der = (key: typeof ed): string => key.export({ type: "spki", format: "der" }).toString("base64");

function problems(value: unknown): ConfigProblem[] {
  const result = validateUpdateConfig(value, "/app/chipset.config.json");
  if (result.ok) throw new Error("expected problems");
  return result.problems;
}

describe("validateUpdateConfig", () => {
  it("gives the defaults when the fields are absent, and leaves other fields to their own validator", () => {
    expect(validateUpdateConfig({ moduleDirs: ["./modules"] })).toEqual({
      ok: true,
      config: {
        sources: [],
        trust: { keys: [], require: false },
        updates: { auto: "none", intervalMs: 600_000 },
      },
    });
  });

  it("reads sources, trusted keys in both shapes, and the auto policy", () => {
    const result = validateUpdateConfig({
      sources: [
        { registry: "https://registry.npmjs.org/" },
        { registry: "http://127.0.0.1:4873", scope: "@acme", token: "s3cret" },
      ],
      trust: {
        keys: [
          { keyid: "ours", key: pem(ed) },
          {
            keyid: "SHA256:npm",
            keytype: "ecdsa-sha2-nistp256",
            scheme: "ecdsa-sha2-nistp256",
            key: der(p256),
            expires: null,
          },
        ],
        require: true,
      },
      updates: { auto: "patch", intervalMs: 60_000 },
    });
    if (!result.ok) throw result.error;
    expect(result.config.sources).toEqual([
      { registry: "https://registry.npmjs.org/" },
      { registry: "http://127.0.0.1:4873", scope: "@acme", token: "s3cret" },
    ]);
    expect(result.config.trust.keys.map((k) => [k.keyid, k.algorithm])).toEqual([
      ["ours", "ed25519"],
      ["SHA256:npm", "ecdsa-sha2-nistp256"],
    ]);
    expect(result.config.trust.require).toBe(true);
    expect(result.config.updates).toEqual({ auto: "patch", intervalMs: 60_000 });
  });

  it("names the field of a bad registry URL, and says what a source looks like", () => {
    const [problem] = problems({ sources: [{ registry: "https://ok.example/" }, { registry: "ftp://x" }] });
    expect(problem).toMatchObject({ field: "sources[1].registry", found: '"ftp://x"' });
    expect(problem!.message).toContain("an http: or https: URL");
    expect(problems({ sources: [{ registry: "not a url" }] })[0]!.field).toBe("sources[0].registry");
    expect(problems({ sources: [{ registry: "https://user:pw@r.example/" }] })[0]!.field).toBe(
      "sources[0].registry",
    );
  });

  it("names a key that does not parse as a public key, and one of an unsupported type", () => {
    const [garbled] = problems({
      trust: {
        keys: [
          { keyid: "a", key: pem(ed) },
          { keyid: "b", key: "bm90IGEga2V5" },
        ],
      },
    });
    expect(garbled).toMatchObject({ field: "trust.keys[1].key" });
    expect(garbled!.message).toContain("does not parse");
    expect(garbled!.expected).toContain("PEM");
    const [wrongType] = problems({ trust: { keys: [{ keyid: "r", key: pem(rsa) }] } });
    expect(wrongType!.field).toBe("trust.keys[0].key");
    expect(wrongType!.message).toContain("its type is rsa");
  });

  it("names an unknown algorithm, and an algorithm that is not the key's", () => {
    expect(
      problems({ trust: { keys: [{ keyid: "a", key: pem(ed), algorithm: "rsa-pss" }] } })[0],
    ).toMatchObject({
      field: "trust.keys[0].algorithm",
      expected: 'one of "ed25519", "ecdsa-sha2-nistp256"',
    });
    const [mismatch] = problems({ trust: { keys: [{ keyid: "a", key: der(p256), algorithm: "ed25519" }] } });
    expect(mismatch).toMatchObject({ field: "trust.keys[0].algorithm" });
    expect(mismatch!.message).toContain("the key is ecdsa-sha2-nistp256, not ed25519");
  });

  it("names an unknown auto value", () => {
    expect(problems({ updates: { auto: "major" } })[0]).toMatchObject({
      field: "updates.auto",
      found: '"major"',
    });
  });

  it("takes 0 as an interval that never checks, and names an interval that is not a timer's milliseconds", () => {
    const off = validateUpdateConfig({ updates: { intervalMs: 0 } });
    if (!off.ok) throw off.error;
    expect(off.config.updates).toEqual({ auto: "none", intervalMs: 0 });
    for (const bad of [-1, 1.5, "10m", 2 ** 31]) {
      const found = problems({ updates: { intervalMs: bad } });
      expect(found.map((p) => p.field)).toEqual(["updates.intervalMs"]);
      expect(found[0]!.expected).toContain("from 0 (never check by itself)");
    }
    expect(problems({ updates: { interval: 1000 } })[0]!.message).toContain('did you mean "intervalMs"');
  });

  it("names unknown fields with the closest known name, without showing a token", () => {
    const found = problems({ sources: [{ registy: "https://r.example/", token: 42 }] });
    expect(found.map((p) => p.field)).toEqual([
      "sources[0].registy",
      "sources[0].registry",
      "sources[0].token",
    ]);
    expect(found[0]!.message).toContain('did you mean "registry"');
    const leaked = problems({ sources: [{ registry: "https://r.example/", token: "line\nbreak-s3cret" }] });
    expect(JSON.stringify(leaked)).not.toContain("s3cret");
  });

  it("refuses two sources for one scope, two keys with one keyid, and require without keys", () => {
    expect(problems({ sources: [{ registry: "https://a/" }, { registry: "https://b/" }] })[0]!.field).toBe(
      "sources[1].scope",
    );
    expect(
      problems({
        trust: {
          keys: [
            { keyid: "k", key: pem(ed) },
            { keyid: "k", key: der(p256) },
          ],
        },
      })[0]!.field,
    ).toBe("trust.keys[1].keyid");
    expect(problems({ trust: { require: true } })[0]!.field).toBe("trust.keys");
  });

  it("answers every problem at once with an error naming the file, ready to throw", () => {
    const result = validateUpdateConfig({ sources: "npm", updates: { auto: 1 } }, "/app/chipset.config.json");
    if (result.ok) throw new Error("expected problems");
    expect(result.problems.map((p) => p.field)).toEqual(["sources", "updates.auto"]);
    expect(result.error.code).toBe(ErrorCodes.OPTIONS_INVALID);
    expect(result.error.message).toMatch(
      /^Invalid config file \/app\/chipset\.config\.json: "sources" is invalid/,
    );
    expect(result.error.details).toMatchObject({ file: "/app/chipset.config.json", field: "sources" });
  });
});
