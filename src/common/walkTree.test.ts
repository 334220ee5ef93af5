import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { walkTree } from "./walkTree.js";

let root: string;
let dir: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-walk-"));
  dir = path.join(root, "m");
  fs.mkdirSync(path.join(dir, "lib"), { recursive: true });
  fs.writeFileSync(path.join(dir, "index.js"), "x");
  fs.writeFileSync(path.join(dir, "lib", "a.js"), "a");
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function refusal(fn: () => unknown): ChipsetError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ChipsetError) return err;
    throw err;
  }
  throw new Error("expected a ChipsetError");
}

describe("walkTree", () => {
  it("refuses a link to a file outside the module, naming the link, its target and what to do", () => {
    const secret = path.join(root, "secret.txt");
    fs.writeFileSync(secret, "password");
    fs.symlinkSync(secret, path.join(dir, "lib", "config.txt"));
    const err = refusal(() => walkTree(dir));
    expect(err.code).toBe(ErrorCodes.MANIFEST_INVALID);
    expect(err.message).toContain(path.join(dir, "lib", "config.txt"));
    expect(err.message).toContain(secret);
    expect(err.message).toMatch(/Replace it by a copy .* or remove it/);
    expect(err.details).toMatchObject({ link: "lib/config.txt", target: fs.realpathSync(secret) });
    expect(err.message).not.toContain("password");
  });

  it("refuses a relative link that climbs out of the module", () => {
    fs.writeFileSync(path.join(root, "outside.js"), "");
    fs.symlinkSync("../../outside.js", path.join(dir, "lib", "up.js"));
    expect(refusal(() => walkTree(dir)).details).toMatchObject({ link: "lib/up.js" });
  });

  it("refuses a link that leads outside only through another link, as the system resolves it", () => {
    fs.symlinkSync(".", path.join(dir, "here"));
    fs.symlinkSync("here/..", path.join(dir, "parent"));
    expect(refusal(() => walkTree(dir)).details).toMatchObject({
      link: "parent",
      target: fs.realpathSync(root),
    });
  });

  it("refuses a link to / at once instead of walking the whole filesystem", () => {
    fs.symlinkSync("/", path.join(dir, "everything"), "dir");
    expect(refusal(() => walkTree(dir)).details).toMatchObject({ link: "everything", target: "/" });
  });

  it("skips a dangling link and a FIFO without opening either", () => {
    fs.symlinkSync(path.join(dir, "missing.js"), path.join(dir, "dangling.js"));
    execFileSync("mkfifo", [path.join(dir, "pipe")]);
    expect(walkTree(dir).map((e) => e.rel)).toEqual(["index.js", "lib", "lib/a.js"]);
  });

  it("refuses more entries than the limit while walking, with the limit and the count found", () => {
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(dir, "lib", `f${i}.js`), "");
    const err = refusal(() => walkTree(dir, { maxEntries: 10, maxBytes: 1024 }));
    expect(err.code).toBe(ErrorCodes.MANIFEST_INVALID);
    expect(err.details).toMatchObject({ limit: "entries", maxEntries: 10, found: 11 });
    expect(err.message).toContain("more than 10 files, directories and links");
  });

  it("refuses files larger together than the limit, with the limit and the bytes found", () => {
    fs.writeFileSync(path.join(dir, "lib", "b.js"), "x".repeat(600));
    fs.writeFileSync(path.join(dir, "lib", "c.js"), "x".repeat(600));
    // index.js and lib/a.js hold 1 byte each: 1 + 1 + 600 + 600.
    const err = refusal(() => walkTree(dir, { maxEntries: 100, maxBytes: 1000 }));
    expect(err.details).toMatchObject({ limit: "bytes", maxBytes: 1000, found: 1202, file: dir });
  });
});
