import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chipset, json, tempDir, writeModule } from "./harness.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: string;
const cli = (...args: string[]) => chipset(["--data-dir", data, ...args]);

const sdk = 'import { defineModule } from "chipset/module";\n';
const plain = `${sdk}export const module = defineModule({ api: { version() { return "plain"; } } });\n`;
const answering = (text: string) =>
  `${sdk}export const module = defineModule({ api: { version() { return ${JSON.stringify(text)}; } } });\n`;

beforeAll(async () => {
  tmp = await tempDir("versions");
  data = join(tmp.dir, "data");
  const at = (version: string) => join(tmp.dir, "modules", version);
  const dirs = [
    // Added highest first, so that insertion order cannot pass for version order.
    await writeModule(at("2"), { name: "alpha", version: "2.0.0", chipset: { kind: "t" }, code: plain }),
    await writeModule(at("1"), { name: "alpha", version: "1.0.0", chipset: { kind: "t" }, code: plain }),
    await writeModule(at("1"), { name: "old-leaf", version: "1.0.0", chipset: { kind: "t" }, code: plain }),
    await writeModule(at("1"), { name: "new-leaf", version: "1.0.0", chipset: { kind: "t" }, code: plain }),
    await writeModule(at("1"), {
      name: "mid",
      version: "1.0.0",
      chipset: { kind: "t", requires: { "old-leaf": "^1.0.0" } },
      code: answering("mid 1"),
    }),
    await writeModule(at("2"), {
      name: "mid",
      version: "2.0.0",
      chipset: { kind: "t", requires: { "new-leaf": "^1.0.0" } },
      code: answering("mid 2"),
    }),
    // pv@1 gives up on a call after 50 ms; pv@2, which a call loads, takes 300 ms and has no timeout.
    await writeModule(at("1"), {
      name: "pv",
      version: "1.0.0",
      chipset: { kind: "t", calls: { timeoutMs: 50 } },
      code: answering("pv 1"),
    }),
    await writeModule(at("2"), {
      name: "pv",
      version: "2.0.0",
      chipset: { kind: "t" },
      code: `${sdk}export const module = defineModule({ api: {
        work() { return new Promise((resolve) => setTimeout(() => resolve("pv 2"), 300)); } } });\n`,
    }),
  ];
  for (const dir of dirs) {
    const added = await cli("add", dir);
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
  }
});

afterAll(() => tmp.cleanup());

describe.concurrent("commands on a module with two versions installed", () => {
  it("info describes the highest version and lists the versions highest first", async () => {
    const info = json<{ version: string; versions: string[] }>(await cli("info", "alpha", "--json"));
    expect(info).toMatchObject({ version: "2.0.0", versions: ["2.0.0", "1.0.0"] });
    const text = await cli("info", "alpha");
    expect(text.stdout.split("\n")[0]).toBe("alpha@2.0.0");
    expect(text.stdout).toMatch(/^\s+versions\s+2\.0\.0, 1\.0\.0$/m);
  });

  it("deps shows the dependencies of the version that order and call use", async () => {
    expect((await cli("deps", "mid")).stdout).toBe("mid@2.0.0 depends on:\n  new-leaf ^1.0.0 -> 1.0.0\n");
    expect((await cli("order", "mid")).stdout).toBe("level 0: new-leaf@1.0.0\nlevel 1: mid@2.0.0\n");
    expect(json(await cli("call", "mid", "version", "--json"))).toEqual({ result: "mid 2" });
  });

  it("call applies the call policies of the version it loads, from the first call", async () => {
    const result = await cli("call", "pv", "work", "--json");
    expect(result.stderr).toBe("");
    expect(json(result)).toEqual({ result: "pv 2" });
  });
});
