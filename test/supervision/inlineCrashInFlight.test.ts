import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const script = join(import.meta.dirname, "fixtures", "inlineInflight.mjs");
let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe("an inline module that crashes with calls in flight", () => {
  it("rejects the call in flight, and does not block the next stop", async () => {
    dir = mkdtempSync(join(tmpdir(), "chipset-supervision-"));
    const { stdout, stderr } = await run(process.execPath, [script, dir]);
    expect(stderr).toBe("");
    expect(JSON.parse(stdout)).toEqual({
      callAfterRestart: "CHIP_ERR_MODULE_CRASHED",
      stop: "stopped",
      state: "stopped",
    });
  });
});
