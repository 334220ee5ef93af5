import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, chipset, collect, json, tempDir, writeModule } from "./harness.js";

const sdk = 'import { defineModule } from "chipset/module";\n';
const cleanups: Array<() => Promise<void>> = [];
afterAll(() => Promise.all(cleanups.map((c) => c())));

/** `script` (Debian's bsdutils, installed by .ci/run) runs a command on a pseudo-terminal: the way to see what a person at a terminal sees. */

/** The bar's filled and empty cells (cli-progress's shades preset). */
const BAR = /[\u2588\u2591]{24} \d+\/\d+/;

/** Runs the CLI with stdout and stderr on a pseudo-terminal; resolves with everything it showed. */
async function onTerminal(
  args: readonly string[],
  cwd: string,
): Promise<{ code: number | null; shown: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const line = [process.execPath, CLI, ...args].map(quote).join(" ");
  const result = await collect(
    spawn("script", ["-qec", line, "/dev/null"], { cwd, stdio: ["ignore", "pipe", "pipe"] }),
  );
  return { code: result.code, shown: result.stdout + result.stderr };
}

async function workspace(names: string[]): Promise<{ root: string; data: string; dirs: string[] }> {
  const tmp = await tempDir("progress");
  cleanups.push(tmp.cleanup);
  const dirs: string[] = [];
  for (const name of names)
    dirs.push(
      await writeModule(join(tmp.dir, "mods"), {
        name,
        version: "1.0.0",
        chipset: { kind: "tool" },
        code: `${sdk}export const module = defineModule({ api: { ping() { return "${name}"; } } });\n`,
      }),
    );
  return { root: tmp.dir, data: join(tmp.dir, "data"), dirs };
}

describe.concurrent("progress on long work", () => {
  it("add of several directories shows a bar on a terminal, then the outcomes", async () => {
    const { root, data, dirs } = await workspace(["alpha", "bravo", "charlie"]);
    const { code, shown } = await onTerminal(["--data-dir", data, "add", ...dirs], root);
    expect(code, shown).toBe(0);
    expect(shown).toMatch(BAR);
    expect(shown).toContain("3/3");
    expect(shown).toMatch(/added: alpha@1\.0\.0[\s\S]*added: bravo@1\.0\.0[\s\S]*added: charlie@1\.0\.0/);
  });

  it("add --json on a terminal prints the outcomes and no bar", async () => {
    const { root, data, dirs } = await workspace(["alpha", "bravo"]);
    const { code, shown } = await onTerminal(["--data-dir", data, "add", ...dirs, "--json"], root);
    expect(code, shown).toBe(0);
    expect(shown).not.toMatch(/[\u2588\u2591]/);
    expect(shown).toContain('"id": "bravo"');
  });

  it("add of several directories through a pipe prints only the outcomes: no bar, nothing on stderr", async () => {
    const { data, dirs } = await workspace(["alpha", "bravo", "charlie"]);
    const text = await chipset(["--data-dir", data, "add", ...dirs]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toBe("");
    expect(text.stdout.match(/^added: \w+@1\.0\.0$/gm)).toEqual([
      "added: alpha@1.0.0",
      "added: bravo@1.0.0",
      "added: charlie@1.0.0",
    ]);
    const again = await chipset(["--data-dir", data, "add", ...dirs, "--json"]);
    expect(again.stderr).toBe("");
    expect(json<Array<{ id: string; status: string }>>(again).map((o) => [o.id, o.status])).toEqual([
      ["alpha", "unchanged"],
      ["bravo", "unchanged"],
      ["charlie", "unchanged"],
    ]);
  });

  it("add stops at a bad directory, names what it registered before, and keeps them", async () => {
    const { root, data, dirs } = await workspace(["alpha", "bravo"]);
    const result = await chipset(["--data-dir", data, "add", dirs[0]!, join(root, "missing"), dirs[1]!]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/registered before the failure: alpha@1\.0\.0/);
    expect(result.stderr).toMatch(/CHIP_ERR_\w+: .*missing/);
    const listed = await chipset(["--data-dir", data, "ls", "--json"]);
    expect(json<Array<{ id: string }>>(listed).map((m) => m.id)).toEqual(["alpha"]);
  });

  it("bisect shows its trials on a bar on a terminal, with each trial's verdict above it", async () => {
    const { root, data, dirs } = await workspace(["alpha", "bravo"]);
    for (const dir of dirs) expect((await chipset(["--data-dir", data, "add", dir])).code).toBe(0);
    const { code, shown } = await onTerminal(
      ["--data-dir", data, "bisect", "--probe-ms", "200", "--call", "alpha.ping"],
      root,
    );
    expect(code, shown).toBe(0);
    expect(shown).toMatch(BAR);
    expect(shown).toContain("trial 1: alpha, bravo: healthy");
    expect(shown).toMatch(/no culprit found/);
  });
});
