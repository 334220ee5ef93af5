import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

async function runScript(name: string): Promise<{ code: number; stdout: string; stderr: string }> {
  dir = mkdtempSync(join(tmpdir(), "chipset-supervision-"));
  const script = join(import.meta.dirname, "fixtures", name);
  return run(process.execPath, [script, dir]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

describe("inline crashes", () => {
  it("a call in flight when its inline module crashes is rejected, and does not block the next stop", async () => {
    const { stdout, stderr } = await runScript("inlineInflight.mjs");
    expect(stderr).toBe("");
    expect(JSON.parse(stdout)).toEqual({
      callAfterRestart: "CHIP_ERR_MODULE_CRASHED",
      stop: "stopped",
      state: "stopped",
    });
  });

  it("an error no module owns still ends the process when two runtimes are open", async () => {
    const { code, stdout, stderr } = await runScript("twoRuntimes.mjs");
    expect(stdout).toBe("");
    expect(code).toBe(1);
    expect(stderr).toContain("a bug in the application itself");
  });
});
