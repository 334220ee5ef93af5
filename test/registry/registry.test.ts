import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/common/Clock.js";
import { ChipsetError, ErrorCodes } from "../../src/errors/index.js";
import type { Registry } from "../../src/registry/Registry.js";
import { digestTree } from "../../src/common/digestTree.js";
import {
  NOTHING_FOUND,
  expectConsistent,
  openRegistry,
  storeListing,
  tempDir,
  writeModule,
} from "./fixtures.js";

let root: string;
let dataDir: string;
let clock: ManualClock;
let registry: Registry;
let close: () => void;

beforeEach(() => {
  root = tempDir();
  dataDir = path.join(root, "data");
  clock = new ManualClock();
  ({ registry, close } = openRegistry(dataDir, clock));
});

afterEach(() => {
  close();
  fs.rmSync(root, { recursive: true, force: true });
});

function src(name: string): string {
  return path.join(root, "src", name);
}

/** A small catalogue: a media player needing file-io, an optional decoder, two file-io versions. */
function addCatalogue(): void {
  registry.add(
    writeModule(src("file-io-1"), {
      name: "file-io",
      version: "1.5.0",
      chipset: { kind: "io", keywords: ["files", "disk"] },
    }),
  );
  registry.add(
    writeModule(src("file-io-2"), {
      name: "file-io",
      version: "2.3.0",
      chipset: { kind: "io", keywords: ["files", "disk"], description: "Reads and writes files" },
    }),
  );
  registry.add(
    writeModule(src("player"), {
      name: "video-player",
      version: "1.4.0",
      chipset: {
        kind: "media",
        description: "Plays video files",
        keywords: ["video", "player"],
        requires: { "file-io": "^2.1.0" },
        optional: { "gpu-decoder": "^1.0.0" },
      },
    }),
  );
  registry.add(
    writeModule(src("viewer"), {
      name: "image-viewer",
      version: "0.9.0",
      chipset: { kind: "media", keywords: ["image"], optional: { "file-io": ">=1" } },
    }),
  );
}

function ids(records: Array<{ id: string; version: string }>): string[] {
  return records.map((r) => `${r.id}@${r.version}`);
}

describe("Registry", () => {
  it("adds a module: copies it into store/<id>/<version>/ and records it", () => {
    clock.advance(1234);
    const dir = writeModule(src("player"), {
      name: "video-player",
      version: "1.4.0",
      chipset: { kind: "media" },
      files: { "lib/util.js": "export const x = 1;\n" },
    });
    const { record, status } = registry.add(dir, { source: "dir:./player" });
    expect(status).toBe("added");
    expect(record.dir).toBe(path.join(dataDir, "store", "video-player", "1.4.0"));
    expect(record.entry).toBe("index.js");
    expect(record.source).toBe("dir:./player");
    expect(record.installedAt).toBe(clock.wallNow());
    expect(record.digest).toBe(digestTree(dir));
    expect(fs.readFileSync(path.join(record.dir!, "lib", "util.js"), "utf8")).toBe("export const x = 1;\n");
    expect(registry.get("video-player")).toEqual(record);
    expectConsistent(registry, dataDir);
  });

  it("records the absolute source directory when no source is given", () => {
    const dir = writeModule(src("a"), { name: "a" });
    expect(registry.add(dir).record.source).toBe(dir);
  });

  it("copies the module's own node_modules/ but not node_modules/chipset/ or .git/", () => {
    const dir = writeModule(src("a"), {
      name: "a",
      files: {
        "node_modules/dep/index.js": "x",
        "node_modules/chipset/module.js": "",
        ".git/HEAD": "ref",
        "lib/.gitkeep": "",
      },
    });
    const { record } = registry.add(dir);
    expect(fs.readFileSync(path.join(record.dir!, "node_modules", "dep", "index.js"), "utf8")).toBe("x");
    expect(fs.existsSync(path.join(record.dir!, "node_modules", "chipset"))).toBe(false);
    expect(fs.existsSync(path.join(record.dir!, ".git"))).toBe(false);
    expect(fs.existsSync(path.join(record.dir!, "lib", ".gitkeep"))).toBe(true);
  });

  it("gets the highest version by semver when none is given, and undefined for unknown ones", () => {
    addCatalogue();
    registry.add(
      writeModule(src("file-io-10"), { name: "file-io", version: "10.0.0", chipset: { kind: "io" } }),
    );
    expect(registry.get("file-io")?.version).toBe("10.0.0");
    expect(registry.get("file-io", "1.5.0")?.version).toBe("1.5.0");
    expect(registry.versions("file-io")).toEqual(["10.0.0", "2.3.0", "1.5.0"]);
    expect(registry.get("file-io", "9.9.9")).toBeUndefined();
    expect(registry.get("nothing")).toBeUndefined();
    expect(registry.versions("nothing")).toEqual([]);
    expect(registry.has("file-io")).toBe(true);
    expect(registry.has("file-io", "9.9.9")).toBe(false);
    expect(registry.has("nothing")).toBe(false);
  });

  it("require() throws MODULE_NOT_FOUND telling how to list and add modules", () => {
    addCatalogue();
    const missing = (() => {
      try {
        registry.require("nothing");
      } catch (err) {
        return err as ChipsetError;
      }
      throw new Error("no error");
    })();
    expect(missing).toBeInstanceOf(ChipsetError);
    expect(missing.code).toBe(ErrorCodes.MODULE_NOT_FOUND);
    expect(missing.message).toContain("chipset ls");
    expect(missing.message).toContain("chipset add <dir>");
    expect(() => registry.require("file-io", "3.0.0")).toThrow(
      /has no version 3\.0\.0 \(registered: 2\.3\.0, 1\.5\.0\)/,
    );
    expect(registry.require("file-io").version).toBe("2.3.0");
  });

  it("lists every version sorted by id, then highest version first, and filters by kind", () => {
    addCatalogue();
    expect(ids(registry.list())).toEqual([
      "file-io@2.3.0",
      "file-io@1.5.0",
      "image-viewer@0.9.0",
      "video-player@1.4.0",
    ]);
    expect(ids(registry.list({ kind: "media" }))).toEqual(["image-viewer@0.9.0", "video-player@1.4.0"]);
    expect(registry.list({ kind: "nope" })).toEqual([]);
  });

  it("searches ids, descriptions and keywords by word prefix, ANDing words", () => {
    addCatalogue();
    expect(ids(registry.list({ search: "video" }))).toEqual(["video-player@1.4.0"]);
    expect(ids(registry.list({ search: "vid" }))).toEqual(["video-player@1.4.0"]);
    expect(ids(registry.list({ search: "disk" }))).toEqual(["file-io@2.3.0", "file-io@1.5.0"]);
    expect(ids(registry.list({ search: "writes" }))).toEqual(["file-io@2.3.0"]);
    expect(ids(registry.list({ search: "file" }))).toEqual([
      "file-io@2.3.0",
      "file-io@1.5.0",
      "video-player@1.4.0",
    ]);
    expect(ids(registry.list({ search: "file play" }))).toEqual(["video-player@1.4.0"]);
    expect(ids(registry.list({ search: "file", kind: "io" }))).toEqual(["file-io@2.3.0", "file-io@1.5.0"]);
    expect(ids(registry.list({ search: "FILE-IO" }))).toEqual(["file-io@2.3.0", "file-io@1.5.0"]);
    expect(registry.list({ search: "video image" })).toEqual([]);
  });

  it("treats FTS syntax in a search as plain text", () => {
    addCatalogue();
    for (const text of [
      '"',
      'video"',
      "video OR image",
      "NOT video",
      "id:video",
      "vid* AND",
      "(",
      "*",
      "video NEAR(image)",
      "^video",
      "-",
      "a'b",
    ]) {
      expect(() => registry.list({ search: text }), text).not.toThrow();
    }
    expect(registry.list({ search: "video OR image" })).toEqual([]);
    expect(ids(registry.list({ search: "   " }))).toHaveLength(4);
  });

  it("reports dependencies and dependents with their ranges", () => {
    addCatalogue();
    expect(registry.dependencies("video-player")).toEqual([
      { id: "file-io", range: "^2.1.0", optional: false },
      { id: "gpu-decoder", range: "^1.0.0", optional: true },
    ]);
    expect(registry.dependencies("file-io")).toEqual([]);
    expect(registry.dependents("file-io")).toEqual([
      { id: "image-viewer", version: "0.9.0", range: ">=1", optional: true },
      { id: "video-player", version: "1.4.0", range: "^2.1.0", optional: false },
    ]);
    expect(registry.dependents("gpu-decoder")).toEqual([
      { id: "video-player", version: "1.4.0", range: "^1.0.0", optional: true },
    ]);
    expect(registry.dependents("video-player")).toEqual([]);
    expect(() => registry.dependencies("nothing")).toThrow(
      expect.objectContaining({ code: ErrorCodes.MODULE_NOT_FOUND }),
    );
  });

  it("removes one version: its row, its edges and its files", () => {
    addCatalogue();
    const removed = registry.remove("file-io", "1.5.0");
    expect(removed).toEqual(["1.5.0"]);
    expect(registry.versions("file-io")).toEqual(["2.3.0"]);
    expect(fs.existsSync(path.join(dataDir, "store", "file-io", "1.5.0"))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, "store", "file-io", "2.3.0"))).toBe(true);
    expect(registry.list({ search: "disk" })).toHaveLength(1);
    expectConsistent(registry, dataDir);
  });

  it("removes every version when none is given, and forgets its dependency edges", () => {
    addCatalogue();
    expect(registry.remove("video-player")).toEqual(["1.4.0"]);
    expect(registry.dependents("gpu-decoder")).toEqual([]);
    expect(registry.remove("file-io")).toEqual(["2.3.0", "1.5.0"]);
    expect(registry.has("file-io")).toBe(false);
    expect(fs.existsSync(path.join(dataDir, "store", "file-io"))).toBe(false);
    expect(registry.list({ search: "file" })).toEqual([]);
    expectConsistent(registry, dataDir);
  });

  it("refuses to remove what is not registered", () => {
    addCatalogue();
    expect(() => registry.remove("nothing")).toThrow(
      expect.objectContaining({ code: ErrorCodes.MODULE_NOT_FOUND }),
    );
    expect(() => registry.remove("file-io", "9.0.0")).toThrow(
      expect.objectContaining({ code: ErrorCodes.MODULE_NOT_FOUND }),
    );
    expect(registry.list()).toHaveLength(4);
  });

  it("survives closing and reopening the database", () => {
    addCatalogue();
    registry.recordUsage("video-player", 3);
    const before = registry.list();
    close();
    ({ registry, close } = openRegistry(dataDir, clock));
    expect(registry.list()).toEqual(before);
    expect(ids(registry.list({ search: "player" }))).toEqual(["video-player@1.4.0"]);
    expect(registry.dependents("file-io")).toHaveLength(2);
    expect(registry.usage()).toEqual([{ id: "video-player", count: 3, lastUsedAt: clock.wallNow() }]);
    expect(registry.lastRecovery).toEqual(NOTHING_FOUND);
    expectConsistent(registry, dataDir);
  });

  it("re-adding identical content is unchanged and writes nothing", () => {
    const dir = writeModule(src("a"), { name: "a", files: { "data.txt": "one" } });
    const first = registry.add(dir);
    const stat = fs.statSync(path.join(first.record.dir!, "data.txt"));
    const listing = storeListing(dataDir);
    clock.advance(1000);
    const again = registry.add(dir, { source: "elsewhere" });
    expect(again.status).toBe("unchanged");
    expect(again.record).toEqual(first.record);
    expect(storeListing(dataDir)).toEqual(listing);
    expect(fs.statSync(path.join(first.record.dir!, "data.txt")).ino).toBe(stat.ino);
  });

  it("re-adding changed content for the same version replaces it atomically", () => {
    const dir = writeModule(src("a"), { name: "a", files: { "data.txt": "one", "old.txt": "gone soon" } });
    const first = registry.add(dir);
    fs.writeFileSync(path.join(dir, "data.txt"), "two");
    fs.rmSync(path.join(dir, "old.txt"));
    clock.advance(500);
    const second = registry.add(dir);
    expect(second.status).toBe("replaced");
    expect(second.record.digest).not.toBe(first.record.digest);
    expect(second.record.installedAt).toBe(clock.wallNow());
    expect(fs.readFileSync(path.join(second.record.dir!, "data.txt"), "utf8")).toBe("two");
    expect(fs.existsSync(path.join(second.record.dir!, "old.txt"))).toBe(false);
    expect(registry.list()).toEqual([second.record]);
    expectConsistent(registry, dataDir);
  });

  it("replaces the manifest and dependency edges along with the files", () => {
    const dir = writeModule(src("a"), { name: "a", chipset: { kind: "test", requires: { b: "^1.0.0" } } });
    registry.add(dir);
    writeModule(dir, {
      name: "a",
      chipset: { kind: "other", requires: { c: "^2.0.0" }, keywords: ["fresh"] },
    });
    expect(registry.add(dir).status).toBe("replaced");
    expect(registry.dependencies("a")).toEqual([{ id: "c", range: "^2.0.0", optional: false }]);
    expect(registry.dependents("b")).toEqual([]);
    expect(ids(registry.list({ kind: "other", search: "fresh" }))).toEqual(["a@1.0.0"]);
    expect(registry.list({ kind: "test" })).toEqual([]);
  });

  it("handles scoped ids as nested store directories", () => {
    const dir = writeModule(src("scoped"), {
      name: "@acme/x",
      version: "2.0.0",
      chipset: { requires: { "@acme/y": "^1.0.0" } },
    });
    const { record } = registry.add(dir);
    expect(record.dir).toBe(path.join(dataDir, "store", "@acme", "x", "2.0.0"));
    expect(registry.get("@acme/x")?.version).toBe("2.0.0");
    expect(registry.dependents("@acme/y")).toEqual([
      { id: "@acme/x", version: "2.0.0", range: "^1.0.0", optional: false },
    ]);
    expect(ids(registry.list({ search: "acme" }))).toEqual(["@acme/x@2.0.0"]);
    close();
    ({ registry, close } = openRegistry(dataDir, clock));
    expect(registry.lastRecovery).toEqual(NOTHING_FOUND);
    expectConsistent(registry, dataDir);
    registry.remove("@acme/x");
    expect(fs.existsSync(path.join(dataDir, "store", "@acme"))).toBe(false);
  });

  it("leaves the registry unchanged when a manifest is rejected", () => {
    addCatalogue();
    const rows = registry.list();
    const listing = storeListing(dataDir);
    const bad = writeModule(src("bad"), {
      name: "video-player",
      version: "1.4.0",
      chipset: { kind: "media", isolation: "thread" as "inline" },
    });
    expect(() => registry.add(bad)).toThrow(expect.objectContaining({ code: ErrorCodes.MANIFEST_INVALID }));
    const noEntry = writeModule(src("no-entry"), { name: "fresh" });
    fs.rmSync(path.join(noEntry, "index.js"));
    expect(() => registry.add(noEntry)).toThrow(
      expect.objectContaining({ code: ErrorCodes.MANIFEST_INVALID }),
    );
    expect(() => registry.add(src("does-not-exist"))).toThrow(
      expect.objectContaining({ code: ErrorCodes.MANIFEST_INVALID }),
    );
    expect(registry.list()).toEqual(rows);
    expect(storeListing(dataDir)).toEqual(listing);
  });

  it("persists usage counts, most used first", () => {
    registry.recordUsage("a");
    clock.advance(10);
    registry.recordUsage("b", 5);
    clock.advance(10);
    registry.recordUsage("a", 2);
    expect(registry.usage()).toEqual([
      { id: "b", count: 5, lastUsedAt: clock.wallNow() - 10 },
      { id: "a", count: 3, lastUsedAt: clock.wallNow() },
    ]);
    expect(() => registry.recordUsage("a", 0)).toThrow(
      expect.objectContaining({ code: ErrorCodes.OPTIONS_INVALID }),
    );
    expect(() => registry.recordUsage("a", 1.5)).toThrow(
      expect.objectContaining({ code: ErrorCodes.OPTIONS_INVALID }),
    );
  });

  it("verify() notices files changed behind its back", () => {
    const { record } = registry.add(writeModule(src("a"), { name: "a" }));
    expect(registry.verify()).toEqual([]);
    fs.writeFileSync(path.join(record.dir!, "index.js"), "tampered");
    expect(registry.verify()).toEqual([
      { id: "a", version: "1.0.0", problem: "its files do not match the recorded digest" },
    ]);
  });
});
