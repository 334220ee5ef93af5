import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  expectConsistent,
  openRegistry,
  storeListing,
  NOTHING_FOUND,
  tempDir,
  writeModule,
} from "../../test/registry/fixtures.js";
import type { Registry } from "./Registry.js";
import { StoreLayout } from "./StoreLayout.js";
import { copyTree } from "../common/copyTree.js";

// A process id that belonged to a process that has exited: what a crashed writer leaves behind.
const deadPid = spawnSync(process.execPath, ["-e", "0"]).pid;

let root: string;
let dataDir: string;
let layout: StoreLayout;
let registry: Registry;
let close: () => void;

beforeEach(() => {
  root = tempDir("chipset-recover-");
  dataDir = path.join(root, "data");
  layout = new StoreLayout(dataDir);
  ({ registry, close } = openRegistry(dataDir));
});

afterEach(() => {
  close();
  fs.rmSync(root, { recursive: true, force: true });
});

function reopen(): Registry {
  close();
  ({ registry, close } = openRegistry(dataDir));
  return registry;
}

function scratch(which: "staging" | "trash", pid: number = deadPid): string {
  const dir = path.join(which === "staging" ? layout.staging : layout.trash, `${pid}-${randomUUID()}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function source(name: string, content: string, version = "1.0.0"): string {
  return writeModule(path.join(root, "src", `${name}-${content}`), {
    name,
    version,
    files: { "data.txt": content },
  });
}

/** Moves the installed copy of `id@version` back to staging: the state after commit, before the swap. */
function unswap(id: string, version: string): string {
  const staging = scratch("staging");
  fs.rmdirSync(staging);
  fs.renameSync(layout.versionDir(id, version), staging);
  return staging;
}

describe("recoverStore", () => {
  it("discards a staging copy that was interrupted while copying", () => {
    registry.add(source("a", "one"));
    const rows = registry.list();
    const partial = scratch("staging");
    fs.writeFileSync(path.join(partial, "package.json"), '{"name":"b","ver');
    const report = reopen().lastRecovery;
    expect(report.discarded).toBe(1);
    expect(registry.list()).toEqual(rows);
    expectConsistent(registry, dataDir);
  });

  it("discards a complete staging copy whose row was never committed", () => {
    const staging = scratch("staging");
    fs.rmdirSync(staging);
    const digest = copyTree(source("b", "one"), staging);
    layout.writeMarker(staging, { id: "b", version: "1.0.0", digest });
    const report = reopen().lastRecovery;
    expect(report).toMatchObject({ completed: [], discarded: 1, dropped: [] });
    expect(registry.has("b")).toBe(false);
    expect(storeListing(dataDir).filter((p) => !p.startsWith("."))).toEqual([]);
    expectConsistent(registry, dataDir);
  });

  it("finishes a new install whose row was committed before the swap", () => {
    const { record } = registry.add(source("a", "one"));
    unswap("a", "1.0.0");
    expect(fs.existsSync(record.dir!)).toBe(false);
    const report = reopen().lastRecovery;
    expect(report.completed).toEqual(["a@1.0.0"]);
    expect(fs.readFileSync(path.join(record.dir!, "data.txt"), "utf8")).toBe("one");
    expect(registry.get("a")).toEqual(record);
    expectConsistent(registry, dataDir);
  });

  it("finishes a replacement whose row was committed before the swap", () => {
    registry.add(source("a", "one"));
    const saved = path.join(root, "saved");
    fs.cpSync(layout.versionDir("a", "1.0.0"), saved, { recursive: true });
    const { record } = registry.add(source("a", "two"));
    unswap("a", "1.0.0");
    fs.cpSync(saved, layout.versionDir("a", "1.0.0"), { recursive: true }); // the old copy, still in place
    expect(registry.verify()).not.toEqual([]);
    const report = reopen().lastRecovery;
    expect(report.completed).toEqual(["a@1.0.0"]);
    expect(fs.readFileSync(path.join(record.dir!, "data.txt"), "utf8")).toBe("two");
    expect(report.emptied).toBe(1); // the old copy went through the trash
    expectConsistent(registry, dataDir);
  });

  it("finishes a swap interrupted between moving the old copy out and the new one in", () => {
    registry.add(source("a", "one"));
    const { record } = registry.add(source("a", "two"));
    unswap("a", "1.0.0");
    const trash = scratch("trash");
    fs.writeFileSync(path.join(trash, "data.txt"), "one");
    reopen();
    expect(fs.readFileSync(path.join(record.dir!, "data.txt"), "utf8")).toBe("two");
    expect(fs.existsSync(trash)).toBe(false);
    expectConsistent(registry, dataDir);
  });

  it("empties trash left behind by a dead process", () => {
    registry.add(source("a", "one"));
    const trash = scratch("trash");
    fs.mkdirSync(path.join(trash, "deep", "er"), { recursive: true });
    fs.writeFileSync(path.join(trash, "deep", "er", "f"), "x");
    expect(reopen().lastRecovery.emptied).toBe(1);
    expectConsistent(registry, dataDir);
  });

  it("rebuilds the rows of a lost database from the store instead of deleting the copies", () => {
    const a = registry.add(source("a", "one")).record;
    const b = registry.add(source("@acme/b", "one")).record;
    const db = openRegistry(dataDir).db; // a second connection, as another process would have
    db.sql.prepare("DELETE FROM modules WHERE id IN ('a', '@acme/b')").run();
    db.close();
    const report = reopen().lastRecovery;
    expect(report.adopted.sort()).toEqual(["@acme/b@1.0.0", "a@1.0.0"]);
    expect(report.quarantined).toEqual([]);
    expect(registry.get("a", "1.0.0")).toEqual(a);
    expect(registry.get("@acme/b", "1.0.0")).toEqual(b);
    expectConsistent(registry, dataDir);
  });

  it("drops a row that has no complete copy anywhere, and quarantines what is left of it", () => {
    registry.add(source("a", "one"));
    registry.add(source("b", "one"));
    fs.rmSync(layout.versionDir("a", "1.0.0"), { recursive: true });
    fs.rmSync(path.join(layout.versionDir("b", "1.0.0"), ".chipset-digest"));
    const report = reopen().lastRecovery;
    expect(report.dropped.sort()).toEqual(["a@1.0.0", "b@1.0.0"]);
    expect(report.quarantined.map((q) => q.path)).toEqual([layout.versionDir("b", "1.0.0")]);
    const moved = report.quarantined[0]?.movedTo as string;
    expect(fs.readFileSync(path.join(moved, "data.txt"), "utf8")).toBe("one");
    expect(registry.list()).toEqual([]);
    expectConsistent(registry, dataDir);
  });

  it("leaves the scratch directories of another live process alone", () => {
    const { record } = registry.add(source("a", "one"));
    const staging = unswap("a", "1.0.0");
    const live = path.join(layout.staging, `${process.ppid}-${randomUUID()}`);
    fs.renameSync(staging, live);
    const trash = scratch("trash", process.ppid);
    const report = reopen().lastRecovery;
    // The live writer committed a.1.0.0 and is about to swap it in: neither dropped nor discarded.
    expect(report).toMatchObject({ completed: [], discarded: 0, dropped: [], emptied: 0 });
    expect(registry.get("a")).toEqual(record);
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.existsSync(trash)).toBe(true);
  });

  it("leaves a consistent registry untouched", () => {
    registry.add(source("a", "one"));
    registry.add(source("a", "two", "2.0.0"));
    const rows = registry.list();
    const listing = storeListing(dataDir);
    expect(registry.recover()).toEqual(NOTHING_FOUND);
    expect(registry.list()).toEqual(rows);
    expect(storeListing(dataDir)).toEqual(listing);
  });

  it("ignores store/node_modules, where hosts link the SDK", () => {
    fs.mkdirSync(path.join(layout.root, "node_modules", "chipset"), { recursive: true });
    expect(reopen().lastRecovery).toEqual(NOTHING_FOUND);
    expect(fs.existsSync(path.join(layout.root, "node_modules", "chipset"))).toBe(true);
  });

  it("quarantines a copy whose marker is a FIFO or that links outside, without blocking, and adopts the others", () => {
    registry.add(source("a", "one"));
    registry.add(source("b", "one"));
    registry.add(source("c", "one"));
    const db = openRegistry(dataDir).db;
    db.sql.prepare("DELETE FROM modules").run();
    db.close();
    const marker = path.join(layout.versionDir("a", "1.0.0"), ".chipset-digest");
    fs.rmSync(marker);
    spawnSync("mkfifo", [marker]);
    fs.symlinkSync("/etc/passwd", path.join(layout.versionDir("b", "1.0.0"), "passwd"));
    const report = reopen().lastRecovery;
    expect(report.adopted).toEqual(["c@1.0.0"]);
    expect(report.quarantined.map((q) => [q.path, q.reason])).toEqual([
      [layout.versionDir("a", "1.0.0"), "it has no Chipset marker naming it"],
      [
        layout.versionDir("b", "1.0.0"),
        expect.stringMatching(/^its files cannot be read as installed \(.*passwd/),
      ],
    ]);
    expect(registry.list().map((r) => r.id)).toEqual(["c"]);
  });

  it.runIf(process.getuid?.() === 0)("reports an entry it cannot move and goes on with the rest", () => {
    registry.add(source("a", "one"));
    const foreign = path.join(layout.root, "busy", "1.0.0");
    fs.mkdirSync(foreign, { recursive: true });
    // A mount point cannot be renamed (EBUSY): quarantining it fails, whatever the user.
    spawnSync("mount", ["--bind", foreign, foreign]);
    try {
      const db = openRegistry(dataDir).db;
      db.sql.prepare("DELETE FROM modules").run();
      db.close();
      const report = reopen().lastRecovery;
      expect(report.failed.map((f) => f.path)).toEqual([foreign]);
      expect(report.failed[0]?.message).toMatch(/EBUSY/);
      expect(report.adopted).toEqual(["a@1.0.0"]);
      expect(registry.get("a", "1.0.0")).toBeDefined();
    } finally {
      spawnSync("umount", [foreign]);
    }
  });
});
