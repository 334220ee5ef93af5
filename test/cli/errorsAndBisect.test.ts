import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ErrorCounts, ErrorEntry } from "../../src/index.js";
import type { BisectResult } from "../../src/chaos.js";
import { chipset, json, tempDir, writeModule } from "./harness.js";

const sdk = 'import { defineModule } from "chipset/module";\n';
let cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});

async function workspace(): Promise<{ dir: string; data: string }> {
  const { dir, cleanup } = await tempDir("cli-errors");
  cleanups.push(cleanup);
  return { dir, data: join(dir, "data") };
}

/** What `chipset errors --json` prints. */
interface ErrorsJson {
  counts: ErrorCounts;
  recent: ErrorEntry[];
}

describe("chipset errors", () => {
  it("shows, from another process, the errors a call failed with: counts by code and module and the context", async () => {
    const { dir, data } = await workspace();
    await writeModule(join(dir, "mods"), {
      name: "grumpy",
      version: "1.2.0",
      chipset: { kind: "tool", isolation: "worker" },
      code: `${sdk}export const module = defineModule({ api: { moan() { throw new TypeError("not today"); } } });\n`,
    });
    expect((await chipset(["--data-dir", data, "add", join(dir, "mods", "grumpy")])).code).toBe(0);
    const failed = await chipset(["--data-dir", data, "call", "grumpy", "moan"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/CHIP_ERR_CALL_FAILED/);
    await chipset(["--data-dir", data, "call", "grumpy", "nope"]);

    const result = await chipset(["--data-dir", data, "errors", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const { counts, recent } = json<ErrorsJson>(result);
    expect(counts.byCode).toEqual({ CHIP_ERR_CALL_FAILED: 1, CHIP_ERR_METHOD_NOT_FOUND: 1 });
    expect(counts.byModule).toEqual({ grumpy: 2 });
    expect(recent[0]).toMatchObject({ code: "CHIP_ERR_METHOD_NOT_FOUND", id: "grumpy", method: "nope" });
    expect(recent[1]).toMatchObject({
      code: "CHIP_ERR_CALL_FAILED",
      id: "grumpy",
      version: "1.2.0",
      method: "moan",
      attempt: 1,
      host: "worker",
      causes: [expect.stringMatching(/^TypeError: not today/)],
    });

    const text = await chipset(["--data-dir", data, "errors", "--module", "grumpy"]);
    expect(text.stdout).toMatch(/2 errors recorded/);
    expect(text.stdout).toMatch(/CHIP_ERR_CALL_FAILED \[grumpy@1\.2\.0\.moan, attempt 1, worker, call \d+\]/);
    expect(text.stdout).toMatch(/caused by TypeError: not today/);
    const other = await chipset(["--data-dir", data, "errors", "--module", "someone-else"]);
    expect(other.stdout).toMatch(/no errors recorded for someone-else/);
  });

  it("refuses a --limit that is not a positive integer with a usage error", async () => {
    const { data } = await workspace();
    const result = await chipset(["--data-dir", data, "errors", "--limit", "0"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/CHIP_ERR_CLI_USAGE: --limit must be a positive integer/);
  });
});

/** Writes and adds healthy modules `healthy`, plus charlie (crashes from a timer) and foxtrot (fails to start). */
async function bisectWorkspace(healthy: string[]): Promise<{ data: string }> {
  const { dir, data } = await workspace();
  const mods = join(dir, "mods");
  for (const name of healthy) {
    await writeModule(mods, {
      name,
      version: "1.0.0",
      chipset: { kind: "tool" },
      code: `${sdk}export const module = defineModule({ api: { ping() { return "${name}"; } } });\n`,
    });
  }
  // charlie starts fine, then throws from a timer where nobody can catch it.
  await writeModule(mods, {
    name: "charlie",
    version: "1.0.0",
    chipset: { kind: "tool", restart: { policy: "temporary" } },
    code: `${sdk}export const module = defineModule({
  start(ctx) { const t = setTimeout(() => { throw new Error("charlie lost its temper"); }, 20); ctx.onStop(() => clearTimeout(t)); },
  api: { ping() { return "charlie"; } },
});\n`,
  });
  await writeModule(mods, {
    name: "foxtrot",
    version: "1.0.0",
    chipset: { kind: "tool" },
    code: `${sdk}export const module = defineModule({ start() { throw new Error("foxtrot has no licence"); }, api: {} });\n`,
  });
  // One `add` of every directory: a CLI process costs about half a second of CPU.
  const dirs = [...healthy, "charlie", "foxtrot"].map((name) => join(mods, name));
  const added = await chipset(["--data-dir", data, "add", ...dirs]);
  expect(added.code, added.stderr).toBe(0);
  return { data };
}

// Each trial starts a runtime and runs it 300 ms; on a loaded machine a dozen of them take a while.
const BISECT_TIMEOUT_MS = 180_000;

describe("chipset bisect", () => {
  it(
    "finds the one module that crashes among five, says what went wrong, and exits 3",
    async () => {
      const { data } = await bisectWorkspace(["alpha", "bravo", "delta", "echo"]);

      const result = await chipset([
        "--data-dir",
        data,
        "bisect",
        "--probe-ms",
        "300",
        "--modules",
        "alpha,bravo,charlie,delta,echo",
        "--call",
        "alpha.ping",
        "--json",
      ]);
      expect(result.code, result.stderr).toBe(3); // the runtime was unhealthy
      const report = json<BisectResult>(result);
      expect(report.found).toBe(true);
      expect(report.culprits).toEqual(["charlie"]);
      expect(report.trials[0]!.healthy).toBe(false);
      expect(report.trials[0]!.detail).toMatch(/charlie crashed \(uncaught-exception\)/);
      expect(report.trials.length).toBeLessThanOrEqual(6);
      expect(report.trials.at(-1)).toEqual({ modules: ["alpha", "bravo", "delta", "echo"], healthy: true });

      const text = await chipset([
        "--data-dir",
        data,
        "bisect",
        "--probe-ms",
        "300",
        "--modules",
        "alpha,bravo,echo",
      ]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/no culprit found: the runtime was healthy with every module/);
    },
    BISECT_TIMEOUT_MS,
  );

  it(
    "names both of two independently bad modules, and exits 3",
    async () => {
      const { data } = await bisectWorkspace(["alpha", "bravo", "delta", "echo"]);
      const result = await chipset(["--data-dir", data, "bisect", "--probe-ms", "300", "--json"]);
      expect(result.code, result.stderr).toBe(3);
      const report = json<BisectResult>(result);
      expect(report).toMatchObject({ healthy: false, found: true, minimal: true, complete: true });
      expect([...report.culprits].sort()).toEqual(["charlie", "foxtrot"]);
      expect([...report.groups].sort()).toEqual([["charlie"], ["foxtrot"]]);
      const rest = report.trials.at(-1)!;
      expect([...rest.modules].sort()).toEqual(["alpha", "bravo", "delta", "echo"]);
      expect(rest.healthy).toBe(true);

      const text = await chipset([
        "--data-dir",
        data,
        "bisect",
        "--probe-ms",
        "300",
        "--modules",
        "alpha,charlie,foxtrot",
      ]);
      expect(text.code, text.stderr).toBe(3);
      expect(text.stdout).toMatch(
        /2 causes, each making the runtime unhealthy on its own: (charlie; foxtrot|foxtrot; charlie)/,
      );
      expect(text.stdout).toMatch(/what went wrong with charlie: charlie crashed \(uncaught-exception\)/);
      expect(text.stdout).toMatch(/what went wrong with foxtrot: foxtrot (failed to start|did not start)/);
    },
    BISECT_TIMEOUT_MS,
  );
});
