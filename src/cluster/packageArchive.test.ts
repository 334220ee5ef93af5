import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { stagedTree } from "../updates/stagingDir.js";
import { packModule, unpackModule } from "./packageArchive.js";

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-pack-"));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** A module directory with a nested file, as a store copy has it. */
function moduleDir(): string {
  const dir = path.join(root, "codec");
  fs.mkdirSync(path.join(dir, "lib"), { recursive: true });
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({
      name: "codec",
      version: "1.0.0",
      type: "module",
      exports: "./index.js",
      chipset: { kind: "x" },
    }),
  );
  fs.writeFileSync(path.join(dir, "index.js"), "export const module = {};\n");
  fs.writeFileSync(path.join(dir, "lib", "util.js"), "export const x = 1;\n");
  return dir;
}

describe("a module packed for the cluster", () => {
  it("unpacks on another node into the same tree, checked against its integrity and digest", async () => {
    const dir = moduleDir();
    const packed = await packModule(dir);
    expect(packed.integrity).toMatch(/^sha512-/);
    const { digest } = stagedTree(dir, "codec@1.0.0", dir);
    const into = path.join(root, "into");
    fs.mkdirSync(into);
    await unpackModule(packed.bytes, into, {
      pkg: "codec@1.0.0",
      source: "test",
      integrity: packed.integrity,
      digest,
    });
    expect(fs.readFileSync(path.join(into, "lib", "util.js"), "utf8")).toBe("export const x = 1;\n");
    expect(stagedTree(into, "codec@1.0.0", into).digest).toBe(digest);
  });

  it("refuses bytes that do not match the catalogue's integrity, and keeps nothing", async () => {
    const dir = moduleDir();
    const packed = await packModule(dir);
    const other = await packModule(path.join(dir, "lib"));
    const into = path.join(root, "into");
    fs.mkdirSync(into);
    const unpacking = unpackModule(other.bytes, into, {
      pkg: "codec@1.0.0",
      source: "the cluster c",
      integrity: packed.integrity,
      digest: "0".repeat(64),
    });
    await expect(unpacking).rejects.toSatisfy(
      (err) =>
        err instanceof ChipsetError &&
        err.code === ErrorCodes.INTEGRITY_MISMATCH &&
        /cluster catalogue/.test(err.message),
    );
    expect(fs.existsSync(into)).toBe(false);
  });

  it("refuses a tree whose digest is not the one published", async () => {
    const dir = moduleDir();
    const packed = await packModule(dir);
    const into = path.join(root, "into");
    fs.mkdirSync(into);
    const unpacking = unpackModule(packed.bytes, into, {
      pkg: "codec@1.0.0",
      source: "the cluster c",
      integrity: packed.integrity,
      digest: "0".repeat(64),
    });
    await expect(unpacking).rejects.toMatchObject({ code: ErrorCodes.INTEGRITY_MISMATCH });
    expect(fs.existsSync(into)).toBe(false);
  });
});
