import fs from "node:fs";
import path from "node:path";
import ssri from "ssri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestTree } from "../../src/common/digestTree.js";
import { ErrorCodes } from "../../src/errors/index.js";
import { EMPTY_UPDATE_CONFIG } from "../../src/updates/UpdateConfig.js";
import { UpdateSources } from "../../src/updates/UpdateSources.js";
import { validateUpdateConfig } from "../../src/updates/validateUpdateConfig.js";
import { packModule, refusal, tempDir, writeModule } from "./fixtures.js";
import { ed25519Key, type SigningKey } from "./signing.js";

let root: string;
let n = 0;
beforeAll(() => {
  root = tempDir();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function staging(): string {
  return path.join(root, "data", "staging", String(++n));
}

async function tarballOf(name: string, version: string, files: Record<string, string> = {}): Promise<string> {
  const dir = writeModule(path.join(root, "src", String(++n)), name, version, files);
  return packModule(dir, path.join(root, `${name}-${version}-${n}.tgz`));
}

function sha512(file: string): string {
  return ssri.fromData(fs.readFileSync(file), { algorithms: ["sha512"] }).toString();
}

function trusting(key: SigningKey, require = false): UpdateSources {
  const result = validateUpdateConfig({ trust: { keys: [key.config], require } });
  if (!result.ok) throw result.error;
  return new UpdateSources(result.config);
}

describe("a tarball source", () => {
  it("is checked for its version from the package.json inside, without extracting it", async () => {
    const file = await tarballOf("player", "2.1.0");
    const found = await new UpdateSources(EMPTY_UPDATE_CONFIG).check(
      { kind: "tarball", path: file },
      { current: "2.0.0" },
    );
    expect(found).toMatchObject({
      name: "player",
      versions: ["2.1.0"],
      newer: ["2.1.0"],
      notModified: false,
    });
    expect(found.source).toEqual({ kind: "tarball", location: file });
  });

  it("is extracted into staging with its integrity and tree digest", async () => {
    const file = await tarballOf("player", "2.2.0", { "lib/util.js": "export {};\n" });
    const dir = staging();
    const fetched = await new UpdateSources(EMPTY_UPDATE_CONFIG).fetch(
      { kind: "tarball", path: file, name: "player" },
      { staging: dir, integrity: sha512(file) },
    );
    expect(fetched).toMatchObject({ dir, name: "player", version: "2.2.0", integrity: sha512(file) });
    expect(fetched).toMatchObject({ bytes: fs.statSync(file).size, signature: { verified: false } });
    expect(fetched.digest).toBe(digestTree(dir));
    expect(fs.readFileSync(path.join(dir, "lib", "util.js"), "utf8")).toBe("export {};\n");
  });

  it("a tarball whose bytes do not match the given integrity is refused and leaves nothing behind", async () => {
    const file = await tarballOf("player", "2.3.0");
    const other = await tarballOf("player", "2.3.0", { "extra.js": "1" });
    const dir = staging();
    const err = await refusal(
      new UpdateSources(EMPTY_UPDATE_CONFIG).fetch(
        { kind: "tarball", path: file },
        { staging: dir, integrity: sha512(other) },
      ),
    );
    expect(err.code).toBe(ErrorCodes.INTEGRITY_MISMATCH);
    expect(err.details).toEqual({
      expected: sha512(other),
      actual: sha512(file),
      source: file,
      from: "caller",
    });
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("a .tgz with a .sig beside it is verified by the trusted key; a .sig by another key is refused", async () => {
    const key = ed25519Key("release-key");
    const file = await tarballOf("signed", "1.0.0");
    fs.writeFileSync(`${file}.sig`, JSON.stringify(key.sign("signed", "1.0.0", sha512(file))));
    const fetched = await trusting(key, true).fetch({ kind: "tarball", path: file }, { staging: staging() });
    expect(fetched.signature).toEqual({ verified: true, keyid: "release-key" });

    const forged = await tarballOf("signed", "1.0.1");
    const thief = ed25519Key("thief");
    fs.writeFileSync(
      `${forged}.sig`,
      JSON.stringify([thief.sign("signed", "1.0.1", sha512(forged), "release-key")]),
    );
    const dir = staging();
    const err = await refusal(trusting(key).fetch({ kind: "tarball", path: forged }, { staging: dir }));
    expect(err.code).toBe(ErrorCodes.SIGNATURE_INVALID);
    expect(err.details).toMatchObject({
      keyid: "release-key",
      package: "signed@1.0.1",
      reason: "mismatch",
      source: forged,
    });
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("a .sig signed over another tarball's integrity does not verify this one", async () => {
    const key = ed25519Key("release-key");
    const good = await tarballOf("swapped", "1.0.0");
    const swapped = await tarballOf("swapped", "1.0.0", { "backdoor.js": "1" });
    fs.writeFileSync(`${swapped}.sig`, JSON.stringify(key.sign("swapped", "1.0.0", sha512(good))));
    const err = await refusal(
      trusting(key).fetch({ kind: "tarball", path: swapped }, { staging: staging() }),
    );
    expect(err.details).toMatchObject({ reason: "mismatch" });
  });

  it("require: true refuses an unsigned tarball; a .sig that is not JSON is refused either way", async () => {
    const key = ed25519Key("release-key");
    const file = await tarballOf("plain", "1.0.0");
    const err = await refusal(
      trusting(key, true).fetch({ kind: "tarball", path: file }, { staging: staging() }),
    );
    expect(err.details).toMatchObject({ reason: "missing", package: "plain@1.0.0" });
    const unsigned = await trusting(key).fetch({ kind: "tarball", path: file }, { staging: staging() });
    expect(unsigned.signature).toEqual({ verified: false });

    fs.writeFileSync(`${file}.sig`, "not json");
    const broken = await refusal(
      trusting(key).fetch({ kind: "tarball", path: file }, { staging: staging() }),
    );
    expect(broken.code).toBe(ErrorCodes.SIGNATURE_INVALID);
    expect(broken.message).toContain(`${file}.sig`);
  });

  it("a tarball of another module than the one named is refused", async () => {
    const file = await tarballOf("not-the-player", "1.0.0");
    const dir = staging();
    const err = await refusal(
      new UpdateSources(EMPTY_UPDATE_CONFIG).fetch(
        { kind: "tarball", path: file, name: "player" },
        { staging: dir },
      ),
    );
    expect(err.details).toMatchObject({ reason: "wrong-package", package: "not-the-player" });
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("a missing tarball fails with CHIP_ERR_SOURCE_FAILED naming the path", async () => {
    const file = path.join(root, "nowhere.tgz");
    const err = await refusal(new UpdateSources(EMPTY_UPDATE_CONFIG).check({ kind: "tarball", path: file }));
    expect(err.code).toBe(ErrorCodes.SOURCE_FAILED);
    expect(err.details).toMatchObject({ reason: "unreadable", source: file, status: "ENOENT" });
    expect(err.message).toContain(file);
  });
});

describe("a directory source", () => {
  it("is copied into staging, its tree digest recorded as its integrity", async () => {
    const dir = writeModule(path.join(root, "dirs"), "editor", "3.0.0", { "lib/a.js": "a" });
    const sources = new UpdateSources(EMPTY_UPDATE_CONFIG);
    const found = await sources.check({ kind: "directory", path: dir }, { current: "3.0.0" });
    expect(found).toMatchObject({ name: "editor", versions: ["3.0.0"], newer: [] });

    const target = staging();
    const fetched = await sources.fetch(
      { kind: "directory", path: dir, name: "editor" },
      { staging: target },
    );
    const digest = digestTree(dir);
    expect(fetched).toMatchObject({ dir: target, name: "editor", version: "3.0.0", digest });
    expect(fetched.integrity).toBe(`sha256-${Buffer.from(digest, "hex").toString("base64")}`);
    expect(fetched.source).toEqual({ kind: "directory", location: dir });
    expect(fs.readFileSync(path.join(target, "lib", "a.js"), "utf8")).toBe("a");
    // A snapshot: later edits to the directory do not reach the staged copy.
    fs.writeFileSync(path.join(dir, "lib", "a.js"), "changed");
    expect(digestTree(target)).toBe(digest);

    const again = staging();
    const err = await refusal(
      sources.fetch({ kind: "directory", path: dir }, { staging: again, integrity: fetched.integrity }),
    );
    expect(err.code).toBe(ErrorCodes.INTEGRITY_MISMATCH);
    expect(fs.existsSync(again)).toBe(false);
  });

  it("is refused when trust requires a signature, which a directory cannot carry", async () => {
    const dir = writeModule(path.join(root, "dirs"), "unsignable", "1.0.0");
    const target = staging();
    const err = await refusal(
      trusting(ed25519Key("k"), true).fetch({ kind: "directory", path: dir }, { staging: target }),
    );
    expect(err.details).toMatchObject({ reason: "missing", package: "unsignable@1.0.0" });
    expect(fs.existsSync(target)).toBe(false);
  });

  it("a staging directory that is not empty is refused and left as it was", async () => {
    const dir = writeModule(path.join(root, "dirs"), "busy", "1.0.0");
    const target = staging();
    fs.mkdirSync(target, { recursive: true });
    fs.writeFileSync(path.join(target, "keep.txt"), "mine");
    const err = await refusal(
      new UpdateSources(EMPTY_UPDATE_CONFIG).fetch({ kind: "directory", path: dir }, { staging: target }),
    );
    expect(err.code).toBe(ErrorCodes.OPTIONS_INVALID);
    expect(fs.readFileSync(path.join(target, "keep.txt"), "utf8")).toBe("mine");
  });
});
