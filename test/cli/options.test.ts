import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chipset, json, tempDir } from "./harness.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  tmp = await tempDir("options");
});
afterEach(() => tmp.cleanup());

/** Runs `chipset ls --json` in the temp dir with `defaults` in its chipset.config.json. */
async function lsWithDefaults(defaults: Record<string, unknown>) {
  await writeFile(join(tmp.dir, "chipset.config.json"), JSON.stringify({ defaults }));
  return chipset(["--data-dir", "data", "ls", "--json"], { cwd: tmp.dir });
}

describe("the config file's defaults on the command line", () => {
  it("refuses a default the runtime option would refuse, naming the file and field, and creates no data dir", async () => {
    const result = await lsWithDefaults({ hookTimeoutMs: 0 });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^CHIP_ERR_OPTIONS_INVALID: .*chipset\.config\.json.*"defaults\.hookTimeoutMs"/,
    );
    expect(json(result)).toMatchObject({
      error: { code: "CHIP_ERR_OPTIONS_INVALID", details: { field: "defaults.hookTimeoutMs", found: "0" } },
    });
    expect(existsSync(join(tmp.dir, "data"))).toBe(false);
  });

  it("runs with defaults at the edges of their ranges", async () => {
    const result = await lsWithDefaults({
      hookTimeoutMs: 1,
      shutdownTimeoutMs: 2_147_483_647,
      idleUnloadMs: 0,
      preload: 0,
    });
    expect(result.stderr).toBe("");
    expect(json(result)).toEqual([]);
  });
});
