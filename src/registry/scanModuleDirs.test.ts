import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openRegistry, tempDir, writeModule } from "../../test/registry/fixtures.js";
import { ErrorCodes } from "../errors/index.js";
import type { Registry } from "./Registry.js";
import { scanModuleDirs } from "./scanModuleDirs.js";

let root: string;
let modules: string;
let registry: Registry;
let close: () => void;

beforeEach(() => {
  root = tempDir("chipset-scan-");
  modules = path.join(root, "modules");
  ({ registry, close } = openRegistry(path.join(root, "data")));
});
afterEach(() => {
  close();
  fs.rmSync(root, { recursive: true, force: true });
});

const ids = (records: Array<{ id: string }>) => records.map((r) => r.id);

describe("scanModuleDirs", () => {
  it("registers a directory of modules (scoped folders included) and single module directories", () => {
    writeModule(path.join(modules, "a"), { name: "a" });
    writeModule(path.join(modules, "b"), { name: "b" });
    writeModule(path.join(modules, "@acme", "c"), { name: "@acme/c" });
    fs.mkdirSync(path.join(modules, "not-a-module"));
    fs.mkdirSync(path.join(modules, "node_modules", "x"), { recursive: true });
    const single = writeModule(path.join(root, "single"), { name: "single" });
    const report = scanModuleDirs(registry, [modules, single]);
    expect(ids(report.added)).toEqual(["@acme/c", "a", "b", "single"]);
    expect(report.rejected).toEqual([]);
    expect(ids(registry.list())).toEqual(["@acme/c", "a", "b", "single"]);
  });

  it("reports unchanged modules without copying and replaced ones when their content changed", () => {
    writeModule(path.join(modules, "a"), { name: "a" });
    writeModule(path.join(modules, "b"), { name: "b" });
    scanModuleDirs(registry, [modules]);
    const installed = registry.get("a")?.dir as string;
    const inode = fs.statSync(path.join(installed, "index.js")).ino;
    fs.writeFileSync(path.join(modules, "b", "index.js"), "export const changed = true;\n");
    const report = scanModuleDirs(registry, [modules]);
    expect(ids(report.unchanged)).toEqual(["a"]);
    expect(ids(report.replaced)).toEqual(["b"]);
    expect(report.added).toEqual([]);
    expect(fs.statSync(path.join(installed, "index.js")).ino).toBe(inode);
  });

  it("reports a bad manifest and goes on with the others", () => {
    writeModule(path.join(modules, "a"), { name: "a" });
    writeModule(path.join(modules, "bad"), { name: "bad", chipset: { isolation: "thread" as "inline" } });
    fs.mkdirSync(path.join(modules, "plain"));
    fs.writeFileSync(
      path.join(modules, "plain", "package.json"),
      JSON.stringify({ name: "plain", version: "1.0.0" }),
    );
    writeModule(path.join(modules, "z"), { name: "z" });
    const report = scanModuleDirs(registry, [modules, path.join(root, "missing")]);
    expect(ids(report.added)).toEqual(["a", "z"]);
    expect(report.rejected.map((r) => [path.basename(r.dir), r.error.code, r.error.details.field])).toEqual([
      ["bad", ErrorCodes.MANIFEST_INVALID, "chipset.isolation"],
      ["plain", ErrorCodes.MANIFEST_INVALID, "chipset"],
      ["missing", ErrorCodes.OPTIONS_INVALID, "moduleDirs"],
    ]);
    expect(registry.has("bad")).toBe(false);
  });
});
