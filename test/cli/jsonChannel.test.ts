import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chipset, json, tempDir, writeModule } from "./harness.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: string;
const cli = (...args: string[]) => chipset(["--data-dir", data, ...args]);

/** Writes what a program reading `call --json` would take for the answer, on its own stdout. */
const NOISY = `import { defineModule } from "chipset/module";
export const module = defineModule({ api: { answer() {
  console.log('{ "result": "spoofed" }');
  process.stdout.write("not json\\n");
  return 42;
} } });`;

beforeAll(async () => {
  tmp = await tempDir("json-channel");
  data = join(tmp.dir, "data");
  for (const isolation of ["worker", "process", "sandboxed"]) {
    const dir = await writeModule(join(tmp.dir, "modules"), {
      name: `noisy-${isolation}`,
      version: "1.0.0",
      chipset:
        isolation === "sandboxed"
          ? { kind: "tool", isolation: "process", permissions: {} }
          : { kind: "tool", isolation },
      code: NOISY,
    });
    const added = await cli("add", dir);
    expect(added.code, added.stderr).toBe(0);
  }
});

afterAll(() => tmp.cleanup());

describe.each(["worker", "process", "sandboxed"])(
  "call --json into a %s module that writes to its stdout",
  (isolation) => {
    it("prints only the answer on stdout; the module's output goes to the log on stderr", async () => {
      const result = await cli("call", `noisy-${isolation}`, "answer", "--json");
      expect(result.code, result.stderr).toBe(0);
      expect(json(result)).toEqual({ result: 42 });
      expect(result.stderr).toContain("spoofed");
      expect(result.stderr).toContain("not json");
    });
  },
);
