import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { copyTree } from "./copyTree.js";
import { MARKER_FILE, digestTree, hashEntry, walkTree } from "./digestTree.js";

let root: string;
let dir: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-digest-"));
  dir = path.join(root, "m");
  for (const [rel, content] of Object.entries({
    "package.json": "{}",
    "index.js": "x",
    "lib/a.js": "a",
    "lib/b/c.txt": "c",
  })) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("digestTree", () => {
  it("is a sha256 hex that is stable for the same content", () => {
    expect(digestTree(dir)).toMatch(/^[0-9a-f]{64}$/);
    expect(digestTree(dir)).toBe(digestTree(dir));
  });

  it("changes when a file's content, name or the set of directories changes", () => {
    const base = digestTree(dir);
    fs.writeFileSync(path.join(dir, "lib/a.js"), "b");
    const content = digestTree(dir);
    expect(content).not.toBe(base);
    fs.renameSync(path.join(dir, "lib/a.js"), path.join(dir, "lib/z.js"));
    expect(digestTree(dir)).not.toBe(content);
    const renamed = digestTree(dir);
    fs.mkdirSync(path.join(dir, "empty"));
    expect(digestTree(dir)).not.toBe(renamed);
  });

  it("does not confuse moving bytes between files with the original", () => {
    const base = digestTree(dir);
    fs.writeFileSync(path.join(dir, "index.js"), "");
    fs.writeFileSync(path.join(dir, "lib/a.js"), "xa");
    expect(digestTree(dir)).not.toBe(base);
  });

  it("ignores .git/, node_modules/chipset/ and the root marker, but not the module's other dependencies", () => {
    fs.mkdirSync(path.join(dir, "node_modules"));
    const base = digestTree(dir);
    fs.mkdirSync(path.join(dir, "node_modules/chipset"));
    fs.writeFileSync(path.join(dir, "node_modules/chipset/module.js"), "");
    fs.mkdirSync(path.join(dir, ".git"));
    fs.writeFileSync(path.join(dir, ".git/HEAD"), "");
    fs.writeFileSync(path.join(dir, MARKER_FILE), "{}");
    expect(digestTree(dir)).toBe(base);
    fs.mkdirSync(path.join(dir, "node_modules/dep"), { recursive: true });
    fs.writeFileSync(path.join(dir, "node_modules/dep/index.js"), "");
    expect(digestTree(dir)).not.toBe(base);
  });

  it("covers a link inside the module by its target, without following it", () => {
    fs.symlinkSync(path.join(dir, "lib"), path.join(dir, "lib", "b", "loop"), "dir");
    fs.symlinkSync("index.js", path.join(dir, "alias.js"));
    const rels = walkTree(dir).map((e) => e.rel);
    expect(rels).toContain("alias.js");
    expect(rels.filter((r) => r.includes("loop"))).toEqual(["lib/b/loop"]);
    const base = digestTree(dir);
    fs.rmSync(path.join(dir, "alias.js"));
    fs.symlinkSync("package.json", path.join(dir, "alias.js"));
    expect(digestTree(dir)).not.toBe(base);
  });

  it("hashes a file by streaming it: a 300 MiB sparse file is not refused by the digest itself", () => {
    // walkTree's limits refuse it; hashEntry alone must not need the file in memory.
    const big = path.join(root, "big.bin");
    fs.writeFileSync(big, "");
    fs.truncateSync(big, 300 * 1024 * 1024);
    const hash = createHash("sha256");
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    hashEntry(hash, { kind: "file", rel: "big.bin", abs: big, size: 300 * 1024 * 1024 }, (chunk) => {
      peak = Math.max(peak, chunk.length);
    });
    expect(peak).toBe(256 * 1024);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });
});

describe("copyTree", () => {
  it("copies the tree and returns the digest of the copy", () => {
    const target = path.join(root, "copy");
    expect(copyTree(dir, target)).toBe(digestTree(dir));
    expect(digestTree(target)).toBe(digestTree(dir));
    expect(fs.readFileSync(path.join(target, "lib/b/c.txt"), "utf8")).toBe("c");
  });

  it("copies a link that stays inside as a relative link into the copy, even one written absolute", () => {
    fs.symlinkSync(path.join(dir, "lib", "a.js"), path.join(dir, "lib", "b", "a.js"));
    fs.symlinkSync(path.join(dir, "lib"), path.join(dir, "shortcut"), "dir");
    const target = path.join(root, "copy");
    expect(copyTree(dir, target)).toBe(digestTree(dir));
    expect(fs.readlinkSync(path.join(target, "lib/b/a.js"))).toBe("../a.js");
    expect(fs.readlinkSync(path.join(target, "shortcut"))).toBe("lib");
    expect(fs.realpathSync(path.join(target, "shortcut/a.js"))).toBe(
      fs.realpathSync(path.join(target, "lib/a.js")),
    );
    expect(digestTree(target)).toBe(digestTree(dir));
  });
});
