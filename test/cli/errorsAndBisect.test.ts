import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ErrorCounts, ErrorEntry } from "../../src/index.js";
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

describe("chipset bisect", () => {
  it("finds the one module that crashes among five, and says what went wrong", async () => {
    const { dir, data } = await workspace();
    const mods = join(dir, "mods");
    for (const name of ["alpha", "bravo", "delta", "echo"]) {
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
    for (const name of ["alpha", "bravo", "charlie", "delta", "echo"])
      expect((await chipset(["--data-dir", data, "add", join(mods, name)])).code).toBe(0);

    const result = await chipset([
      "--data-dir",
      data,
      "bisect",
      "--probe-ms",
      "300",
      "--call",
      "alpha.ping",
      "--json",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = json<{
      culprits: string[];
      found: boolean;
      trials: Array<{ modules: string[]; healthy: boolean; detail?: string }>;
    }>(result);
    expect(report.found).toBe(true);
    expect(report.culprits).toEqual(["charlie"]);
    expect(report.trials[0]!.healthy).toBe(false);
    expect(report.trials[0]!.detail).toMatch(/charlie crashed \(uncaught-exception\)/);
    expect(report.trials.length).toBeLessThanOrEqual(6);

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
  });
});
