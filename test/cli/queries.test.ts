import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeChain } from "./fixtures.js";
import { chipset, json, tempDir } from "./harness.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: string;
const cli = (...args: string[]) => chipset(["--data-dir", data, ...args]);

beforeAll(async () => {
  tmp = await tempDir("queries");
  data = join(tmp.dir, "data");
  const dirs = await writeChain(join(tmp.dir, "modules"));
  // Sequential: each add takes the registry's write lock anyway.
  for (const dir of [dirs.core, dirs.lib, dirs.app, dirs.other]) {
    const added = await cli("add", dir);
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
  }
});

// The tests below only read the registry (and `call` loads modules in its own process), so they
// run concurrently: vitest runs test files one at a time on a 2-core machine.

afterAll(() => tmp.cleanup());

describe.concurrent("read-only commands", () => {
  describe("chipset ls", () => {
    it("prints a table of every registered module", async () => {
      const result = await cli("ls");
      expect(result.code).toBe(0);
      const lines = result.stdout.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^ID\s+VERSION\s+KIND\s+STATE\s+DESCRIPTION$/);
      expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
        ["app", "1.0.0", "app", "registered"],
        ["core", "1.0.0", "service", "registered"],
        ["lib", "1.0.0", "service", "registered"],
        ["other", "1.0.0", "tool", "registered"],
      ]);
    });

    it("prints JSON objects with id, version and kind, and filters by kind and words", async () => {
      const all = json<
        Array<{ id: string; version: string; kind: string; description: string; state: string }>
      >(await cli("ls", "--json"));
      expect(all.map(({ id, version, kind }) => ({ id, version, kind }))).toEqual([
        { id: "app", version: "1.0.0", kind: "app" },
        { id: "core", version: "1.0.0", kind: "service" },
        { id: "lib", version: "1.0.0", kind: "service" },
        { id: "other", version: "1.0.0", kind: "tool" },
      ]);
      expect(all[1]).toMatchObject({ description: "Base numbers", state: "registered" });
      const services = json<Array<{ id: string }>>(await cli("ls", "--kind", "service", "--json"));
      expect(services.map((m) => m.id)).toEqual(["core", "lib"]);
      const text = json<Array<{ id: string }>>(await cli("ls", "--search", "echoes", "--json"));
      expect(text.map((m) => m.id)).toEqual(["other"]);
    });
  });

  describe("chipset info", () => {
    it("shows identity, state, host, dependencies with resolved versions, and dependents", async () => {
      const result = await cli("info", "lib");
      expect(result.code).toBe(0);
      const out = result.stdout;
      expect(out.split("\n")[0]).toBe("lib@1.0.0");
      expect(out).toMatch(/^\s+kind\s+service$/m);
      expect(out).toMatch(/^\s+description\s+Adds to the base$/m);
      expect(out).toMatch(/^\s+state\s+registered$/m);
      expect(out).toMatch(/^\s+host\s+inline \(not loaded\)$/m);
      expect(out).toMatch(
        /^\s+isolates\s+nothing: it runs in the runtime's own thread \(trusted code only\)$/m,
      );
      expect(out).toContain(join(data, "store", "lib", "1.0.0"));
      expect(out).toMatch(/dependencies\n\s+core \^1\.0\.0 -> 1\.0\.0\n/);
      expect(out).toMatch(/dependents\n\s+app@1\.0\.0 \(\^1\.0\.0\)\n/);
      expect(out).toMatch(/^\s+last error\s+none$/m);
    });

    it("prints JSON with the resolved dependencies", async () => {
      const info = json<{ id: string; dir: string; dependencies: unknown[]; dependents: unknown[] }>(
        await cli("info", "app@1.0.0", "--json"),
      );
      expect(info).toMatchObject({
        id: "app",
        version: "1.0.0",
        kind: "app",
        dir: join(data, "store", "app", "1.0.0"),
      });
      expect(info.dependencies).toEqual([
        { id: "lib", range: "^1.0.0", optional: false, resolved: "1.0.0" },
        { id: "gpu", range: "^1.0.0", optional: true, resolved: null },
      ]);
      expect(info.dependents).toEqual([]);
    });

    it("exits 1 with CHIP_ERR_MODULE_NOT_FOUND for an unknown id, on stderr and in the JSON", async () => {
      const result = await cli("info", "nope");
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/^CHIP_ERR_MODULE_NOT_FOUND: .*nope/);
      const asJson = await cli("info", "nope", "--json");
      expect(asJson.code).toBe(1);
      expect(json(asJson)).toMatchObject({ error: { code: "CHIP_ERR_MODULE_NOT_FOUND", module: "nope" } });
      expect(asJson.stderr).toMatch(/^CHIP_ERR_MODULE_NOT_FOUND: /);
    });
  });

  describe("chipset deps", () => {
    it("lists direct dependencies with the versions they resolve to", async () => {
      const result = await cli("deps", "app");
      expect(result.stdout).toBe(
        "app@1.0.0 depends on:\n  lib ^1.0.0 -> 1.0.0\n  gpu ^1.0.0 (optional) -> unresolved\n",
      );
      expect(json(await cli("deps", "core", "--json"))).toEqual([]);
    });

    it("draws the tree, marking optional and unresolved dependencies", async () => {
      const result = await cli("deps", "app", "--tree");
      expect(result.stdout).toBe(
        [
          "app@1.0.0",
          "├─ lib@1.0.0 (^1.0.0)",
          "│  └─ core@1.0.0 (^1.0.0)",
          "└─ gpu (^1.0.0, optional, unresolved)",
          "",
        ].join("\n"),
      );
      const tree = json<{ id: string; children: Array<{ id: string; children: Array<{ id: string }> }> }>(
        await cli("deps", "app", "--tree", "--json"),
      );
      expect(tree.children.map((c) => c.id)).toEqual(["lib", "gpu"]);
      expect(tree.children[0]?.children.map((c) => c.id)).toEqual(["core"]);
    });

    it("lists dependents with --reverse, transitively with --tree", async () => {
      const flat = await cli("deps", "core", "--reverse");
      expect(flat.stdout).toBe("core is used by:\n  lib@1.0.0 requires core ^1.0.0\n");
      const tree = await cli("deps", "core", "--reverse", "--tree");
      expect(tree.stdout).toBe(
        ["core@1.0.0", "└─ lib@1.0.0 (requires ^1.0.0)", "   └─ app@1.0.0 (requires ^1.0.0)", ""].join("\n"),
      );
      expect(json(await cli("deps", "lib", "--reverse", "--json"))).toEqual([
        { id: "app", version: "1.0.0", range: "^1.0.0", optional: false },
      ]);
    });

    it("exits 1 with CHIP_ERR_MODULE_NOT_FOUND for an unknown id, even with --reverse", async () => {
      const result = await cli("deps", "nope", "--reverse");
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^CHIP_ERR_MODULE_NOT_FOUND: /);
    });
  });

  describe("chipset order", () => {
    it("prints the order and the exact levels as JSON", async () => {
      const result = await cli("order", "app", "other", "--json");
      expect(result.code).toBe(0);
      const plan = json<{ order: string[]; levels: string[][] }>(result);
      expect(Object.keys(plan)).toEqual(["order", "levels"]);
      // Within a level the order is the resolver's (discovery order); membership is what is fixed.
      expect(plan.levels.map((level) => [...level].sort())).toEqual([["core", "other"], ["lib"], ["app"]]);
      expect(plan.order).toEqual(plan.levels.flat());
    });

    it("prints one line per level for people", async () => {
      const result = await cli("order", "app");
      expect(result.stdout).toBe("level 0: core@1.0.0\nlevel 1: lib@1.0.0\nlevel 2: app@1.0.0\n");
    });
  });

  describe("chipset call", () => {
    it("loads a module and its dependencies on demand and prints the result as JSON", async () => {
      const result = await cli("call", "app", "answer", "2", "--json");
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(json(result)).toEqual({ result: { answer: 42, gpu: false } });
    });

    it("passes JSON strings and negative numbers after --", async () => {
      const hello = await cli("call", "other", "echo", '"hello"');
      expect(hello.stdout).toBe('"hello"\n');
      const negative = await cli("call", "lib", "plus", "--json", "--", "-50");
      expect(json(negative)).toEqual({ result: -10 });
    });

    it("reports a method the module does not have", async () => {
      const result = await cli("call", "other", "shout", '"x"', "--json");
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^CHIP_ERR_METHOD_NOT_FOUND: .*echo/);
      expect(json(result)).toMatchObject({ error: { code: "CHIP_ERR_METHOD_NOT_FOUND" } });
    });
  });

  describe("usage errors", () => {
    it("exit 2 with CHIP_ERR_CLI_USAGE for an argument of call that is not JSON, suggesting quotes", async () => {
      const result = await cli("call", "other", "echo", "hello");
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(
        /^CHIP_ERR_CLI_USAGE: argument 1 of call, hello, is not valid JSON .*'"hello"'/,
      );
    });

    it("exit 2 with CHIP_ERR_CLI_USAGE for unknown commands and options and missing arguments", async () => {
      const unknown = await cli("frobnicate");
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/^CHIP_ERR_CLI_USAGE: unknown command 'frobnicate'/);
      const option = await cli("ls", "--colour");
      expect(option.code).toBe(2);
      expect(option.stderr).toMatch(/^CHIP_ERR_CLI_USAGE: unknown option '--colour'/);
      const missing = await cli("info", "--json");
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/^CHIP_ERR_CLI_USAGE: missing required argument 'ref'/);
      expect(json(missing)).toMatchObject({ error: { code: "CHIP_ERR_CLI_USAGE" } });
    });
  });
});
