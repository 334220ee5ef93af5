import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { readPackageManifest } from "./readPackageManifest.js";

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-pkg-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(pkg: Record<string, unknown>, files: string[] = []): void {
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "m", version: "1.0.0", chipset: { kind: "x" }, ...pkg }),
  );
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), "export {};\n");
  }
}

function rejection(): ChipsetError {
  try {
    readPackageManifest(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(ChipsetError);
    expect((err as ChipsetError).code).toBe(ErrorCodes.MANIFEST_INVALID);
    return err as ChipsetError;
  }
  throw new Error("the package was accepted");
}

describe("readPackageManifest", () => {
  it("returns the manifest, the package.json path and the absolute directory", () => {
    write({}, ["index.js"]);
    const info = readPackageManifest(dir);
    expect(info.manifest.name).toBe("m");
    expect(info.file).toBe(path.join(dir, "package.json"));
    expect(info.dir).toBe(dir);
  });

  it.each<[string, Record<string, unknown>, string[], string]>([
    ["an exports string", { exports: "./dist/main.js" }, ["dist/main.js"], "dist/main.js"],
    [
      "exports['.'] as a string",
      { exports: { ".": "./lib/a.js", "./sub": "./lib/b.js" } },
      ["lib/a.js"],
      "lib/a.js",
    ],
    [
      "the import condition first",
      { exports: { ".": { require: "./c.cjs", node: "./n.js", default: "./d.js", import: "./i.js" } } },
      ["i.js", "d.js", "n.js", "c.cjs"],
      "i.js",
    ],
    [
      "then the default condition",
      { exports: { ".": { node: "./n.js", default: "./d.js" } } },
      ["d.js", "n.js"],
      "d.js",
    ],
    [
      "then the node condition",
      { exports: { ".": { require: "./c.cjs", node: "./n.js" } } },
      ["n.js", "c.cjs"],
      "n.js",
    ],
    [
      "conditions at the root of exports",
      { exports: { import: "./i.js", require: "./c.cjs" } },
      ["i.js"],
      "i.js",
    ],
    [
      "nested conditions",
      { exports: { ".": { import: { types: "./t.d.ts", default: "./esm/i.js" } } } },
      ["esm/i.js"],
      "esm/i.js",
    ],
    ["exports over main", { exports: "./e.js", main: "./m.js" }, ["e.js", "m.js"], "e.js"],
    ["main when there is no exports", { main: "lib/main.js" }, ["lib/main.js"], "lib/main.js"],
    ["main without its extension", { main: "./lib/main" }, ["lib/main.js"], "lib/main.js"],
    ["main naming a directory", { main: "lib" }, ["lib/index.js"], "lib/index.js"],
    ["index.js by default", {}, ["index.js"], "index.js"],
  ])("resolves the entry from %s", (_label, pkg, files, entry) => {
    write(pkg, files);
    expect(readPackageManifest(dir).entry).toBe(entry);
  });

  it("rejects an entry file that does not exist, naming the field it came from", () => {
    write({ exports: "./dist/index.js" });
    const err = rejection();
    expect(err.details.field).toBe("exports");
    expect(err.message).toContain(path.join(dir, "dist/index.js"));
    expect(err.message).toContain("does not exist");

    write({ main: "./missing.js" });
    expect(rejection().details.field).toBe("main");

    write({});
    expect(rejection().details.field).toBe("main");
  });

  it("rejects exports without a usable condition", () => {
    write({ exports: { ".": { require: "./c.cjs" } } }, ["c.cjs"]);
    const err = rejection();
    expect(err.details.field).toBe("exports");
    expect(err.message).toContain('"import", "default" or "node"');
  });

  it("rejects exports nested 200,000 levels deep as an invalid manifest, not a stack overflow", () => {
    const depth = 200_000;
    const exports = `${"[".repeat(depth)}"./a.js"${"]".repeat(depth)}`;
    fs.writeFileSync(
      path.join(dir, "package.json"),
      `{ "name": "m", "version": "1.0.0", "chipset": { "kind": "x" }, "exports": ${exports} }`,
    );
    fs.writeFileSync(path.join(dir, "a.js"), "export {};\n");
    const err = rejection();
    expect(err.details.field).toBe("exports");
    expect(err.message).toContain("more than 32 levels deep");
  });

  it("rejects an entry outside the module directory", () => {
    write({ main: "../outside.js" });
    fs.writeFileSync(path.join(dir, "..", "outside.js"), "");
    try {
      const err = rejection();
      expect(err.details.field).toBe("main");
      expect(err.message).toContain("outside the module directory");
    } finally {
      fs.rmSync(path.join(dir, "..", "outside.js"));
    }
  });

  it("rejects a missing package.json, naming the file", () => {
    const err = rejection();
    expect(err.details.file).toBe(path.join(dir, "package.json"));
    expect(err.message).toContain(path.join(dir, "package.json"));
  });

  it("rejects unparseable JSON, naming the file", () => {
    fs.writeFileSync(path.join(dir, "package.json"), "{ name: ");
    const err = rejection();
    expect(err.message).toContain(path.join(dir, "package.json"));
    expect(err.message).toContain("not valid JSON");
  });

  it("rejects a package.json without a chipset field", () => {
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "m", version: "1.0.0" }));
    fs.writeFileSync(path.join(dir, "index.js"), "");
    expect(rejection().details.field).toBe("chipset");
  });
});
