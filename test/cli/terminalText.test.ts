import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chipset, json, tempDir } from "./harness.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: string;
const cli = (...args: string[]) => chipset(["--data-dir", data, ...args]);

/** Clears the screen, retitles the window, then a C1 CSI (U+009B) that colours what follows. */
const HOSTILE = "plays video\u001b[2J\u001b]0;pwned\u0007 and \u009b31mred";

beforeAll(async () => {
  tmp = await tempDir("terminal-text");
  data = join(tmp.dir, "data");
  const dir = join(tmp.dir, "modules", "shady");
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify({
      name: "shady",
      version: "1.0.0",
      type: "module",
      exports: "./index.js",
      chipset: { kind: "tool", description: HOSTILE, keywords: ["ok", "\u001b[8mhidden"] },
    }),
  );
  await writeFile(join(dir, "index.js"), "export const module = { api: {} };");
  const added = await cli("add", dir);
  expect(added.code, added.stderr).toBe(0);
});

afterAll(() => tmp.cleanup());

/** Every control character a terminal acts on, but newline. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe("text from a manifest on a terminal", () => {
  it("is printed by ls and info with its control characters escaped, and columns stay aligned", async () => {
    const ls = await cli("ls");
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).not.toMatch(CONTROL);
    const [header, row] = ls.stdout.trimEnd().split("\n");
    expect(row).toContain("plays video\\x1b[2J\\x1b]0;pwned\\x07 and \\x9b31mred");
    expect(row!.indexOf("1.0.0")).toBe(header!.indexOf("VERSION"));

    const info = await cli("info", "shady");
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).not.toMatch(CONTROL);
    expect(info.stdout).toContain("\\x1b[8mhidden");
  });

  it("keeps the exact text in --json output, where JSON escapes it", async () => {
    const ls = await cli("ls", "--json");
    expect(ls.stdout).not.toContain("\u001b");
    const [shady] = json<Array<{ description: string; keywords: string[] }>>(ls);
    expect(shady!.description).toBe(HOSTILE);
    expect(shady!.keywords).toContain("\u001b[8mhidden");
  });
});
