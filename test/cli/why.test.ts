import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chipset, json, tempDir, writeModule } from "./harness.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: string;
const cli = (...args: string[]) => chipset(["--data-dir", data, ...args]);
const empty =
  'import { defineModule } from "chipset/module";\nexport const module = defineModule({ api: {} });\n';

beforeAll(async () => {
  tmp = await tempDir("why");
  data = join(tmp.dir, "data");
  const at = (name: string) => join(tmp.dir, "modules", name);
  const specs = [
    { name: "lib", version: "1.6.0", chipset: { kind: "t" } },
    { name: "lib", version: "2.1.0", chipset: { kind: "t" } },
    { name: "a", version: "1.0.0", chipset: { kind: "t", requires: { lib: "^1.0.0" } } },
    { name: "b", version: "1.3.0", chipset: { kind: "t", requires: { lib: "^1.0.0" } } },
    { name: "b", version: "2.0.0", chipset: { kind: "t", requires: { lib: "^2.0.0" } } },
    { name: "c", version: "1.0.0", chipset: { kind: "t", requires: { lib: "^2.0.0" } } },
    {
      name: "app",
      version: "1.0.0",
      chipset: { kind: "t", activation: "eager", requires: { a: "*", b: "*" } },
    },
    { name: "clash", version: "1.0.0", chipset: { kind: "t", requires: { a: "*", c: "*" } } },
  ] as const;
  for (const spec of specs) {
    const dir = await writeModule(at(`${spec.name}-${spec.version}`), { ...spec, code: empty });
    const added = await cli("add", dir);
    expect(added.stderr).toBe("");
  }
});

afterAll(() => tmp.cleanup());

describe.concurrent("chipset why", () => {
  it("tells the version chosen for a dependent, and that the newer one would leave no solution", async () => {
    const result = await cli("why", "b");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("b 1.3.0\n");
    expect(result.stdout).toMatch(/app@1\.0\.0 +\* +1\.3\.0/);
    expect(result.stdout).toContain("2.0.0: choosing it leaves no solution");
  });

  it("prints every constraint on a module with who set it, as JSON too", async () => {
    const why = json<{
      chosen: string[];
      constraints: Array<{ from: string; range: string; bound: string }>;
      rejected: Array<{ version: string; excludedBy: { from: string } | null }>;
      elsewhere: Array<{ from: string; range: string }>;
    }>(await cli("why", "lib", "--json"));
    expect(why.chosen).toEqual(["1.6.0"]);
    expect(why.constraints).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ from: "a@1.0.0", range: "^1.0.0", bound: "1.6.0" }),
        expect.objectContaining({ from: "b@1.3.0", range: "^1.0.0", bound: "1.6.0" }),
      ]),
    );
    expect(why.rejected).toEqual([
      expect.objectContaining({ version: "2.1.0", excludedBy: { from: "a@1.0.0", range: "^1.0.0" } }),
    ]);
    expect(why.elsewhere).toEqual(
      expect.arrayContaining([
        { from: "b@2.0.0", range: "^2.0.0" },
        { from: "c@1.0.0", range: "^2.0.0" },
      ]),
    );
  });

  it("explains a conflict with its derivation and fixes, and exits 1", async () => {
    const result = await cli("order", "clash");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("CHIP_ERR_VERSION_CONFLICT");
    expect(result.stderr).toContain("c@1.0.0 (the only installed version of c) requires lib ^2.0.0.");
    expect(result.stderr).toContain("Fixes (each one checked by solving again with it):");
    expect(result.stderr).toContain('"overrides": { "lib": "2.1.0" }');
  });

  it("resolves together with the modules given by --with, and shows their conflict", async () => {
    const result = await cli("why", "lib", "--with", "c");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "lib: the application's modules cannot run together (CHIP_ERR_VERSION_CONFLICT)",
    );
    expect(result.stdout).toContain("c@1.0.0 (the only installed version of c) requires lib ^2.0.0.");
  });

  it("refuses a module that is not installed", async () => {
    const result = await cli("why", "nope");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("CHIP_ERR_MODULE_NOT_FOUND");
  });

  it("describes the highest version within a range given to info", async () => {
    expect(json<{ version: string }>(await cli("info", "lib@^1", "--json")).version).toBe("1.6.0");
  });
});
