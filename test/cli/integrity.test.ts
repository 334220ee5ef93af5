import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chipset, json, tempDir, writeModule } from "./harness.js";

const sdk = 'import { defineModule } from "chipset/module";\n';
const cleanups: Array<() => Promise<void>> = [];
afterAll(() => Promise.all(cleanups.map((c) => c())));

describe("chipset call on installed code that changed after add", () => {
  it("fails with CHIP_ERR_INTEGRITY_FAILED and how to repair, leaves other modules callable, and add of its source repairs it", async () => {
    const tmp = await tempDir("integrity");
    cleanups.push(tmp.cleanup);
    const data = join(tmp.dir, "data");
    const cli = (...args: string[]) => chipset(["--data-dir", data, ...args]);
    const source = await writeModule(tmp.dir, {
      name: "victim",
      version: "1.0.0",
      chipset: { kind: "tool" },
      code: `${sdk}export const module = defineModule({ api: { answer() { return 1; } } });\n`,
    });
    const other = await writeModule(tmp.dir, {
      name: "bystander",
      version: "1.0.0",
      chipset: { kind: "tool" },
      code: `${sdk}export const module = defineModule({ api: { answer() { return 2; } } });\n`,
    });
    expect((await cli("add", source)).code).toBe(0);
    expect((await cli("add", other)).code).toBe(0);
    const installed = join(data, "store", "victim", "1.0.0", "index.js");
    const original = await readFile(installed, "utf8");
    await writeFile(installed, original.replace("return 1", "return 666"));

    const refused = await cli("call", "victim", "answer");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("CHIP_ERR_INTEGRITY_FAILED");
    expect(refused.stderr).toContain(`chipset doctor --repair`);
    expect(refused.stderr).toContain(`installs ${source} again`);
    expect(refused.stdout).not.toContain("666");
    expect(json<unknown>(await cli("call", "bystander", "answer", "--json"))).toEqual({ result: 2 });
    expect(json<Array<{ id: string }>>(await cli("ls", "--json")).map((m) => m.id)).toEqual([
      "bystander",
      "victim",
    ]);

    // add alone repairs it: the source still holds what was installed, the installed copy does not.
    const repaired = await cli("add", source);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stdout).toMatch(/^replaced: victim@1\.0\.0$/m);
    expect(json<unknown>(await cli("call", "victim", "answer", "--json"))).toEqual({ result: 1 });
    expect((await cli("add", source)).stdout).toMatch(/^unchanged/m);
  });
});
