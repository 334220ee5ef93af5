import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../../src/errors/index.js";
import type { Registry } from "../../src/registry/Registry.js";
import { openRegistry, storeListing, tempDir, writeModule } from "./fixtures.js";

let root: string;
let dataDir: string;
let registry: Registry;
let close: () => void;

beforeEach(() => {
  root = tempDir();
  dataDir = path.join(root, "data");
  ({ registry, close } = openRegistry(dataDir));
});

afterEach(() => {
  close();
  fs.rmSync(root, { recursive: true, force: true });
});

function moduleDir(): string {
  return writeModule(path.join(root, "src", "m"), { name: "m", version: "1.0.0" });
}

function refusal(dir: string): ChipsetError {
  try {
    registry.add(dir);
  } catch (err) {
    if (err instanceof ChipsetError) return err;
    throw err;
  }
  throw new Error("expected add to be refused");
}

/** Asserts that the refused add left no row and no module files behind. */
function expectNothingInstalled(): void {
  expect(registry.list()).toEqual([]);
  expect(storeListing(dataDir).filter((p) => p.startsWith("m/"))).toEqual([]);
}

describe("Registry.add and what it copies", () => {
  it("refuses a module with a link to a file outside it, naming both, and installs nothing", () => {
    const dir = moduleDir();
    const secret = path.join(root, "shadow");
    fs.writeFileSync(secret, "root:$6$secret");
    fs.symlinkSync(secret, path.join(dir, "data.txt"));
    const err = refusal(dir);
    expect(err.code).toBe(ErrorCodes.MANIFEST_INVALID);
    expect(err.message).toContain(path.join(dir, "data.txt"));
    expect(err.message).toContain(secret);
    expect(err.message).not.toContain("$6$secret");
    expectNothingInstalled();
  });

  it("refuses a link to /proc/self at once rather than copying the filesystem", () => {
    const dir = moduleDir();
    fs.symlinkSync("/proc/self", path.join(dir, "self"), "dir");
    expect(refusal(dir).details).toMatchObject({ link: "self" });
    expectNothingInstalled();
  });

  it("keeps a link that stays inside the module as a link inside the installed copy", () => {
    const dir = moduleDir();
    fs.symlinkSync(path.join(dir, "index.js"), path.join(dir, "alias.js"));
    const { record } = registry.add(dir);
    expect(fs.readlinkSync(path.join(record.dir!, "alias.js"))).toBe("index.js");
    expect(registry.verify()).toEqual([]);
  });

  it("refuses a 3 GiB file with the size limit and the size found, before copying anything", () => {
    const dir = moduleDir();
    const big = path.join(dir, "model.bin");
    fs.writeFileSync(big, "");
    fs.truncateSync(big, 3 * 1024 ** 3); // sparse: costs no disk
    const err = refusal(dir);
    expect(err.code).toBe(ErrorCodes.MANIFEST_INVALID);
    expect(err.message).toContain(big);
    expect(err.message).toContain("256.0 MiB");
    expect(err.details).toMatchObject({ limit: "bytes", maxBytes: 268_435_456, found: 3 * 1024 ** 3 });
    expectNothingInstalled();
  });

  it("refuses more than 10,000 files, directories and links with the limit and the count", () => {
    const dir = moduleDir();
    const many = path.join(dir, "many");
    fs.mkdirSync(many);
    for (let i = 0; i < 10_000; i++) fs.writeFileSync(path.join(many, `${i}.js`), "");
    const err = refusal(dir);
    expect(err.details).toMatchObject({ limit: "entries", maxEntries: 10_000, found: 10_001 });
    expectNothingInstalled();
  });

  it("skips a FIFO in the module instead of hanging on it", () => {
    const dir = moduleDir();
    execFileSync("mkfifo", [path.join(dir, "pipe")]);
    const { record } = registry.add(dir);
    expect(fs.existsSync(path.join(record.dir!, "pipe"))).toBe(false);
  });

  it("refuses a package.json that is a FIFO, or a link, without reading it", () => {
    const fifo = path.join(root, "src", "fifo");
    fs.mkdirSync(fifo, { recursive: true });
    execFileSync("mkfifo", [path.join(fifo, "package.json")]);
    expect(refusal(fifo).message).toContain("not a regular file");

    const linked = path.join(root, "src", "linked");
    fs.mkdirSync(linked);
    const secret = path.join(root, "shadow");
    fs.writeFileSync(secret, "root:$6$secret");
    fs.symlinkSync(secret, path.join(linked, "package.json"));
    const err = refusal(linked);
    expect(err.code).toBe(ErrorCodes.MANIFEST_INVALID);
    expect(err.message).toContain("symbolic link");
    expect(err.message).not.toContain("$6$secret");
    expectNothingInstalled();
  });
});
