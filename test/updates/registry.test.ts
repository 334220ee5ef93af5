import fs from "node:fs";
import path from "node:path";
import ssri from "ssri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestTree } from "../../src/common/digestTree.js";
import { ErrorCodes } from "../../src/errors/index.js";
import { pickUpdate } from "../../src/updates/pickUpdate.js";
import { EMPTY_UPDATE_CONFIG, type UpdateConfig } from "../../src/updates/UpdateConfig.js";
import { UpdateSources } from "../../src/updates/UpdateSources.js";
import { validateUpdateConfig } from "../../src/updates/validateUpdateConfig.js";
import { startVerdaccio, type VerdaccioRegistry } from "../support/verdaccio.js";
import { packModule, refusal, tempDir, writeModule } from "./fixtures.js";
import { ed25519Key, npmEcdsaKey } from "./signing.js";

let reg: VerdaccioRegistry;
let root: string;
let staged = 0;

beforeAll(async () => {
  reg = await startVerdaccio();
  root = tempDir();
});
afterAll(async () => {
  await reg.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

/** The config of a file that names this registry, and the given trust. */
function configFor(trust: Record<string, unknown> = {}): UpdateConfig {
  const result = validateUpdateConfig({ sources: [{ registry: reg.url }], trust });
  if (!result.ok) throw result.error;
  return result.config;
}

async function publish(name: string, ...versions: string[]): Promise<void> {
  for (const version of versions) await reg.publish(writeModule(root, name, version));
}

function staging(): string {
  return path.join(root, "data", "staging", String(++staged));
}

/** What the registry serves as `dist.integrity` of name@version. */
function publishedIntegrity(name: string, version: string): string {
  const packument = JSON.parse(fs.readFileSync(path.join(reg.storage, name, "package.json"), "utf8")) as {
    versions: Record<string, { dist: { integrity: string } }>;
  };
  return packument.versions[version]!.dist.integrity;
}

describe("updates from a registry", () => {
  it("an update from a registry installs the published version and records its integrity", async () => {
    await publish("video-player", "1.0.0", "1.1.0", "2.0.0");
    const sources = new UpdateSources(configFor());
    const found = await sources.check({ kind: "registry", name: "video-player" }, { current: "1.0.0" });
    expect(found.versions).toEqual(["1.0.0", "1.1.0", "2.0.0"]);
    expect(found.newer).toEqual(["1.1.0", "2.0.0"]);
    const version = pickUpdate("1.0.0", found.versions, "minor");
    expect(version).toBe("1.1.0");

    const dir = staging();
    const fetched = await sources.fetch(
      { kind: "registry", name: "video-player", version },
      { staging: dir },
    );
    expect(fetched).toMatchObject({
      dir,
      name: "video-player",
      version: "1.1.0",
      signature: { verified: false },
    });
    expect(fetched.integrity).toBe(publishedIntegrity("video-player", "1.1.0"));
    expect(fetched.source).toEqual({
      kind: "registry",
      location: `${reg.url}video-player/-/video-player-1.1.0.tgz`,
    });
    expect(fetched.bytes).toBe(fs.statSync(reg.tarballPath("video-player", "1.1.0")).size);
    expect(fetched.digest).toBe(digestTree(dir));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
      version: string;
    };
    expect(manifest.version).toBe("1.1.0");
    expect(fs.readFileSync(path.join(dir, "index.js"), "utf8")).toContain('"1.1.0"');
  });

  it("an integrity given by the caller must match the registry's tarball too", async () => {
    await publish("caller-checked", "1.0.0");
    const sources = new UpdateSources(configFor());
    const right = publishedIntegrity("caller-checked", "1.0.0");
    const ok = await sources.fetch(
      { kind: "registry", name: "caller-checked" },
      { staging: staging(), integrity: right },
    );
    expect(ok.integrity).toBe(right);
    const dir = staging();
    const wrong = ssri.fromData("something else", { algorithms: ["sha512"] }).toString();
    const err = await refusal(
      sources.fetch({ kind: "registry", name: "caller-checked" }, { staging: dir, integrity: wrong }),
    );
    expect(err.code).toBe(ErrorCodes.INTEGRITY_MISMATCH);
    expect(err.details).toMatchObject({ expected: wrong, actual: right, from: "caller" });
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("a registry tarball altered after publishing is refused while it streams", async () => {
    await publish("altered", "1.0.0");
    const published = publishedIntegrity("altered", "1.0.0");
    // A valid tarball of the same name and version, with other code: only the integrity tells.
    const evil = writeModule(path.join(root, "evil"), "altered", "1.0.0", { "index.js": "steal();\n" });
    const stored = reg.tarballPath("altered", "1.0.0");
    await packModule(evil, stored);
    const dir = staging();
    const err = await refusal(
      new UpdateSources(configFor()).fetch({ kind: "registry", name: "altered" }, { staging: dir }),
    );
    expect(err.code).toBe(ErrorCodes.INTEGRITY_MISMATCH);
    expect(err.details).toMatchObject({
      expected: published,
      actual: ssri.fromData(fs.readFileSync(stored), { algorithms: ["sha512"] }).toString(),
      from: "registry",
      source: `${reg.url}altered/-/altered-1.0.0.tgz`,
    });
    expect(err.message).toContain("altered@1.0.0");
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.existsSync(path.dirname(dir))).toBe(true);
  });

  it("a version the registry does not have fails with CHIP_ERR_SOURCE_FAILED naming the versions it has", async () => {
    await publish("few-versions", "1.0.0");
    const dir = staging();
    const err = await refusal(
      new UpdateSources(configFor()).fetch(
        { kind: "registry", name: "few-versions", version: "^3.0.0" },
        { staging: dir },
      ),
    );
    expect(err.code).toBe(ErrorCodes.SOURCE_FAILED);
    expect(err.details).toMatchObject({ reason: "no-version", package: "few-versions", range: "^3.0.0" });
    expect(err.message).toContain("1.0.0");
    expect(fs.existsSync(dir)).toBe(false);
    const missing = await refusal(
      new UpdateSources(configFor()).check({ kind: "registry", name: "never-published" }),
    );
    expect(missing.details).toMatchObject({
      reason: "not-found",
      status: 404,
      source: `${reg.url}never-published`,
    });
  });

  it("a second check answers from the ETag cache (the registry answers 304)", async () => {
    await publish("cached", "1.0.0");
    const sources = new UpdateSources(configFor());
    const first = await sources.check({ kind: "registry", name: "cached" });
    const second = await sources.check({ kind: "registry", name: "cached" });
    expect([first.notModified, second.notModified]).toEqual([false, true]);
    expect(second.versions).toEqual(first.versions);
    const answers = reg.requests.filter((r) => r.method === "GET" && r.url === "/cached").slice(-2);
    expect(answers.map((r) => r.status)).toEqual([200, 304]);

    await publish("cached", "1.1.0");
    const third = await sources.check({ kind: "registry", name: "cached" }, { current: "1.0.0" });
    expect(third).toMatchObject({ notModified: false, newer: ["1.1.0"] });
  });
});

describe("signatures of registry packages", () => {
  /** Publishes name@version and stores `dist.signatures` made by `signs` into the registry's packument. */
  async function publishSigned(
    name: string,
    version: string,
    signs: (integrity: string) => Array<{ keyid: string; sig: string }>,
  ): Promise<void> {
    await publish(name, version);
    reg.editPackument(name, (packument) => {
      const dist = packument.versions[version]!.dist;
      dist["signatures"] = signs(dist.integrity);
    });
  }

  it("a package signed by a trusted ed25519 key is accepted; one signed by another key is refused", async () => {
    const trusted = ed25519Key("publisher-2026");
    const other = ed25519Key("someone-else");
    await publishSigned("signed-ed", "1.0.0", (i) => [trusted.sign("signed-ed", "1.0.0", i)]);
    await publishSigned("forged-ed", "1.0.0", (i) => [other.sign("forged-ed", "1.0.0", i, "publisher-2026")]);
    await publishSigned("foreign-ed", "1.0.0", (i) => [other.sign("foreign-ed", "1.0.0", i)]);
    const sources = new UpdateSources(configFor({ keys: [trusted.config], require: true }));

    const ok = await sources.fetch({ kind: "registry", name: "signed-ed" }, { staging: staging() });
    expect(ok.signature).toEqual({ verified: true, keyid: "publisher-2026" });

    const forgedDir = staging();
    const forged = await refusal(
      sources.fetch({ kind: "registry", name: "forged-ed" }, { staging: forgedDir }),
    );
    expect(forged.code).toBe(ErrorCodes.SIGNATURE_INVALID);
    expect(forged.details).toMatchObject({
      keyid: "publisher-2026",
      package: "forged-ed@1.0.0",
      reason: "mismatch",
    });
    expect(fs.existsSync(forgedDir)).toBe(false);

    const foreign = await refusal(
      sources.fetch({ kind: "registry", name: "foreign-ed" }, { staging: staging() }),
    );
    expect(foreign.details).toMatchObject({ keyid: "someone-else", reason: "unknown-key" });
    // Refused from the packument alone: the tarballs were never downloaded.
    expect(reg.requests.filter((r) => /(forged|foreign)-ed-1\.0\.0\.tgz$/.test(r.url))).toEqual([]);
  });

  it("npm's ECDSA P-256 registry keys verify npm-style signatures, and a wrong one fails even when not required", async () => {
    const npmKey = npmEcdsaKey("SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA");
    await publishSigned("signed-ec", "1.0.0", (i) => [npmKey.sign("signed-ec", "1.0.0", i)]);
    // Signed over another integrity: what a registry serving a swapped tarball would show.
    await publishSigned("tampered-ec", "1.0.0", () => [npmKey.sign("tampered-ec", "1.0.0", "sha512-AAAA")]);
    const sources = new UpdateSources(configFor({ keys: [npmKey.config] }));

    const ok = await sources.fetch({ kind: "registry", name: "signed-ec" }, { staging: staging() });
    expect(ok.signature).toEqual({ verified: true, keyid: npmKey.config.keyid });

    const err = await refusal(
      sources.fetch({ kind: "registry", name: "tampered-ec" }, { staging: staging() }),
    );
    expect(err.code).toBe(ErrorCodes.SIGNATURE_INVALID);
    expect(err.details).toMatchObject({ reason: "mismatch", keyid: npmKey.config.keyid });
  });

  it("require: true refuses an unsigned package; without it the package is installed as unsigned", async () => {
    const key = ed25519Key("k1");
    await publish("unsigned", "1.0.0");
    const dir = staging();
    const strict = new UpdateSources(configFor({ keys: [key.config], require: true }));
    const err = await refusal(strict.fetch({ kind: "registry", name: "unsigned" }, { staging: dir }));
    expect(err.code).toBe(ErrorCodes.SIGNATURE_INVALID);
    expect(err.details).toMatchObject({ package: "unsigned@1.0.0", reason: "missing" });
    expect(err.details["keyid"]).toBeUndefined();
    expect(fs.existsSync(dir)).toBe(false);

    const lenient = new UpdateSources(configFor({ keys: [key.config], require: false }));
    const ok = await lenient.fetch({ kind: "registry", name: "unsigned" }, { staging: staging() });
    expect(ok.signature).toEqual({ verified: false });
  });
});

describe("registries by scope", () => {
  let privateReg: VerdaccioRegistry;
  beforeAll(async () => {
    privateReg = await startVerdaccio({ privateScopes: ["@private"] });
  });
  afterAll(async () => {
    await privateReg.stop();
  });

  it("a scoped package is fetched from the source of its scope with its token", async () => {
    await privateReg.publish(writeModule(root, "@private/codec", "1.2.0"));
    await publish("public-codec", "1.0.0");
    const config = validateUpdateConfig({
      sources: [
        { registry: reg.url },
        { registry: privateReg.url, scope: "@private", token: privateReg.token },
      ],
    });
    if (!config.ok) throw config.error;
    const sources = new UpdateSources(config.config);

    const scoped = await sources.fetch({ kind: "registry", name: "@private/codec" }, { staging: staging() });
    expect(scoped).toMatchObject({ name: "@private/codec", version: "1.2.0" });
    expect(scoped.source.location.startsWith(privateReg.url)).toBe(true);
    const asked = privateReg.requests
      .filter((r) => r.url === "/@private%2fcodec" && r.method === "GET")
      .at(-1);
    expect(asked).toMatchObject({ status: 200, authorization: `Bearer ${privateReg.token}` });

    const plain = await sources.fetch({ kind: "registry", name: "public-codec" }, { staging: staging() });
    expect(plain.source.location.startsWith(reg.url)).toBe(true);
    expect(reg.requests.filter((r) => r.url === "/public-codec").at(-1)?.authorization).toBeUndefined();
  });

  it("a scope whose source has no token is refused by the registry, and the error says to check the token", async () => {
    await privateReg.publish(writeModule(root, "@private/secret", "1.0.0"));
    const sources = new UpdateSources({
      ...EMPTY_UPDATE_CONFIG,
      sources: [{ registry: reg.url }, { registry: privateReg.url, scope: "@private" }],
    });
    const err = await refusal(sources.check({ kind: "registry", name: "@private/secret" }));
    expect(err.code).toBe(ErrorCodes.SOURCE_FAILED);
    expect(err.details).toMatchObject({
      reason: "unauthorized",
      source: `${privateReg.url}@private%2fsecret`,
    });
    expect(err.message).toContain('"token"');
  });
});
