import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chipset, json, tempDir, writeModule } from "./harness.js";

// Names users choose that are also members of Object.prototype: `constructor` is a valid npm
// name and module kind; method names and config keys may be anything (`toString`,
// `hasOwnProperty`, `__proto__`). Each must behave as any other name, from add to call.

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: string;
let configFile: string;
const cli = (...args: string[]) => chipset(["--data-dir", data, "--config", configFile, ...args]);

const NAMES = `import { defineModule } from "chipset/module";
let ctx;
export const module = defineModule({
  init(c) { ctx = c; },
  api: {
    config() { return ctx.config; },
    toString() { return "own toString"; },
    hasOwnProperty() { return "own hasOwnProperty"; },
    constructor() { return "own constructor"; },
    ["__proto__"]() { return "own __proto__"; },
  },
});`;

const USER = `import { defineModule } from "chipset/module";
let ctx;
export const module = defineModule({
  init(c) { ctx = c; },
  api: { async through() { return ctx.use("constructor").config(); } },
});`;

beforeAll(async () => {
  tmp = await tempDir("prototype-names");
  data = join(tmp.dir, "data");
  configFile = join(tmp.dir, "chipset.config.json");
  // Text, not JSON.stringify: in an object literal, __proto__ would set the prototype.
  await writeFile(
    configFile,
    `{
      "modules": { "constructor": { "hasOwnProperty": 5, "__proto__": { "polluted": true } } },
      "policies": { "constructor": { "methods": { "toString": { "timeoutMs": 5000 } } } }
    }`,
  );
  const modules = join(tmp.dir, "modules");
  const named = await writeModule(modules, {
    name: "constructor",
    version: "1.0.0",
    chipset: {
      kind: "constructor",
      isolation: "worker",
      configSchema: {
        type: "object",
        properties: {
          constructor: { type: "string", default: "made" },
          toString: { type: "number", default: 1 },
          hasOwnProperty: { type: "number" },
        },
        required: ["hasOwnProperty"],
      },
    },
    code: NAMES,
  });
  const user = await writeModule(modules, {
    name: "user",
    version: "1.0.0",
    chipset: { kind: "app", requires: { constructor: "^1.0.0" } },
    code: USER,
  });
  for (const dir of [named, user]) {
    const added = await cli("add", dir);
    expect(added.code, added.stderr).toBe(0);
  }
});

afterAll(() => tmp.cleanup());

/** The config file's keys, then the schema's defaults; parsed, so __proto__ is a key. */
const expectedConfig: unknown = JSON.parse(
  '{ "hasOwnProperty": 5, "__proto__": { "polluted": true }, "constructor": "made", "toString": 1 }',
);

describe.concurrent(
  "a module named constructor, with methods and config keys named after Object's members",
  () => {
    it("is listed under its kind by ls, and only it", async () => {
      const listed = json<Array<{ id: string; kind: string }>>(
        await cli("ls", "--kind", "constructor", "--json"),
      );
      expect(listed.map(({ id, kind }) => ({ id, kind }))).toEqual([
        { id: "constructor", kind: "constructor" },
      ]);
      expect((await cli("ls")).stdout).toMatch(/^constructor\s+1\.0\.0\s+constructor\s+registered/m);
    });

    it("is described by info with exactly its own dependents", async () => {
      const info = json<{ id: string; dependents: Array<{ id: string }>; dependencies: unknown[] }>(
        await cli("info", "constructor", "--json"),
      );
      expect(info.id).toBe("constructor");
      expect(info.dependents.map((d) => d.id)).toEqual(["user"]);
      const order = await cli("order", "user");
      expect(order.code, order.stderr).toBe(0);
      expect(order.stdout).toBe("level 0: constructor@1.0.0\nlevel 1: user@1.0.0\n");
    });

    it("gets exactly its own config, with its schema's defaults and a __proto__ key kept as a key", async () => {
      const result = await cli("call", "constructor", "config", "--json");
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ result: expectedConfig });
      expect(result.stdout).toMatch(/"__proto__": \{\s*"polluted": true\s*\}/);
    });

    it("answers calls of its own toString, hasOwnProperty, constructor and __proto__ methods", async () => {
      for (const method of ["toString", "hasOwnProperty", "constructor", "__proto__"]) {
        const result = await cli("call", "constructor", method, "--json");
        expect(result.code, result.stderr).toBe(0);
        expect(JSON.parse(result.stdout)).toEqual({ result: `own ${method}` });
      }
    });

    it("refuses a method it does not have, even one every object inherits", async () => {
      const result = await cli("call", "constructor", "valueOf", "--json");
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('has no method "valueOf"');
    });

    it("is used by a module that requires it", async () => {
      const result = await cli("call", "user", "through", "--json");
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ result: expectedConfig });
    });
  },
);
