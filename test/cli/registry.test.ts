import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chipset, json, tempDir, writeModule } from "./harness.js";

const code =
  'import { defineModule } from "chipset/module";\nexport const module = defineModule({ api: { v() { return 1; } } });\n';
const cleanups: Array<() => Promise<void>> = [];
afterAll(() => Promise.all(cleanups.map((c) => c())));

/** A temp directory and data directory of a test's own, so that the tests can run concurrently. */
async function sandbox(): Promise<{
  dir: string;
  data: string;
  cli: (...args: string[]) => ReturnType<typeof chipset>;
}> {
  const tmp = await tempDir("registry");
  cleanups.push(tmp.cleanup);
  const data = join(tmp.dir, "data");
  return { dir: tmp.dir, data, cli: (...args) => chipset(["--data-dir", data, ...args]) };
}

describe.concurrent("commands that change the registry", () => {
  it("add says whether it added, left unchanged or replaced a version, and where it is stored", async () => {
    const { dir: root, data, cli } = await sandbox();
    const dir = await writeModule(root, {
      name: "greeter",
      version: "2.0.0",
      chipset: { kind: "tool" },
      code,
    });
    const stored = join(data, "store", "greeter", "2.0.0");

    const first = await cli("add", dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`added: greeter@2.0.0\n  stored in ${stored}\n  from      ${dir}\n`);
    expect(await readFile(join(stored, "index.js"), "utf8")).toBe(code);

    const again = await cli("add", dir, "--json");
    expect(json(again)).toMatchObject({ status: "unchanged", id: "greeter", version: "2.0.0", dir: stored });

    const changed = code.replace("return 1", "return 2");
    await writeFile(join(dir, "index.js"), changed);
    const replaced = await cli("add", dir);
    expect(replaced.stdout).toMatch(/^replaced: greeter@2\.0\.0\n/);
    expect(await readFile(join(stored, "index.js"), "utf8")).toBe(changed);
  });

  it("add rejects a bad manifest with CHIP_ERR_MANIFEST_INVALID naming the field, and leaves the registry unchanged", async () => {
    const { dir, cli } = await sandbox();
    await cli(
      "add",
      await writeModule(dir, { name: "good", version: "1.0.0", chipset: { kind: "tool" }, code }),
    );
    const before = (await cli("ls", "--json")).stdout;
    const bad = await writeModule(dir, {
      name: "bad",
      version: "1.0.0",
      chipset: { kind: "tool", requires: { good: "not a range" } },
      code,
    });

    const result = await cli("add", bad);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^CHIP_ERR_MANIFEST_INVALID: .*package\.json.*chipset\.requires\.good/);

    const asJson = await cli("add", bad, "--json");
    expect(json(asJson)).toMatchObject({
      error: { code: "CHIP_ERR_MANIFEST_INVALID", details: { field: "chipset.requires.good" } },
    });
    expect((await cli("ls", "--json")).stdout).toBe(before);
  });

  it("add refuses a version too long to name a store directory, and every command still works", async () => {
    const { dir, cli } = await sandbox();
    await cli(
      "add",
      await writeModule(dir, { name: "good", version: "1.0.0", chipset: { kind: "tool" }, code }),
    );
    // Legal semver, 256 characters: as a directory name it is over 255 bytes.
    const long = await writeModule(dir, {
      name: "long",
      version: `1.0.0-${"a".repeat(250)}`,
      chipset: { kind: "tool" },
      code,
    });
    const result = await cli("add", long);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^CHIP_ERR_MANIFEST_INVALID: .*version.*at most 128 characters/);

    const ls = await cli("ls");
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/^good\s+1\.0\.0/m);
    expect(ls.stdout).not.toContain("long");
  });

  it("remove takes one version, then the module, and reports unknown ids", async () => {
    const { dir, cli } = await sandbox();
    const v1 = await writeModule(join(dir, "v1"), {
      name: "multi",
      version: "1.0.0",
      chipset: { kind: "tool" },
      code,
    });
    const v2 = await writeModule(join(dir, "v2"), {
      name: "multi",
      version: "1.1.0",
      chipset: { kind: "tool" },
      code,
    });
    await cli("add", v1);
    await cli("add", v2);

    const one = await cli("remove", "multi@1.0.0");
    expect(one.code).toBe(0);
    expect(one.stdout).toBe("removed multi 1.0.0\n");
    expect(json<Array<{ version: string }>>(await cli("ls", "--json")).map((m) => m.version)).toEqual([
      "1.1.0",
    ]);

    expect((await cli("remove", "multi")).stdout).toBe("removed multi 1.1.0\n");
    expect(json(await cli("ls", "--json"))).toEqual([]);

    const unknown = await cli("remove", "multi");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^CHIP_ERR_MODULE_NOT_FOUND: /);
  });

  it("deps --tree marks the back edge of a cycle and stops there", async () => {
    const { dir, cli } = await sandbox();
    await cli(
      "add",
      await writeModule(dir, {
        name: "ping",
        version: "1.0.0",
        chipset: { kind: "tool", requires: { pong: "^1.0.0" } },
        code,
      }),
    );
    await cli(
      "add",
      await writeModule(dir, {
        name: "pong",
        version: "1.0.0",
        chipset: { kind: "tool", requires: { ping: "^1.0.0" } },
        code,
      }),
    );
    const result = await cli("deps", "ping", "--tree");
    expect(result.stdout).toBe(
      ["ping@1.0.0", "└─ pong@1.0.0 (^1.0.0)", "   └─ ping@1.0.0 (^1.0.0, cycle)", ""].join("\n"),
    );
  });
});
