import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ResourceReport } from "../../src/resources/ResourceReport.js";
import {
  chipset,
  collect,
  FREE_PORT,
  json,
  spawnCli,
  tempDir,
  waitForOutput,
  writeModule,
} from "./harness.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
let child: ChildProcess | undefined;
const data = () => join(tmp.dir, "data");

beforeEach(async () => {
  tmp = await tempDir("report");
  await writeModule(join(tmp.dir, "modules"), {
    name: "keeper",
    version: "1.0.0",
    chipset: { kind: "service", activation: "eager", isolation: "worker" },
    code: `import { defineModule } from "chipset/module";
const kept = [];
export const module = defineModule({ start() { kept.push(Buffer.alloc(4 * 1024 * 1024, 1)); }, api: { ping: () => "pong" } });`,
  });
  await writeFile(
    join(tmp.dir, "chipset.config.json"),
    JSON.stringify({ moduleDirs: ["./modules"], resources: { sampleMs: 100 } }),
  );
});
afterEach(async () => {
  if (child?.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
  await tmp.cleanup();
});

const report = (...args: string[]) => chipset(["--data-dir", data(), "report", ...args], { cwd: tmp.dir });

describe("chipset report", () => {
  it("reports each module's resources through the running host, and from the data directory once it stopped", async () => {
    child = spawnCli(["--data-dir", data(), "start", ...FREE_PORT], { cwd: tmp.dir });
    await waitForOutput(child, /chipset is running/);
    const host = JSON.parse(readFileSync(join(data(), "host.json"), "utf8")) as {
      url: string;
      token: string;
    };
    // The host samples every 100 ms: wait until it has a few samples of the module.
    await vi.waitFor(
      async () => {
        const res = await fetch(`${host.url}/v1/report?since=1h&module=keeper`, {
          headers: { authorization: `Bearer ${host.token}` },
        });
        const body = (await res.json()) as ResourceReport;
        expect(body.modules[0]?.samples ?? 0).toBeGreaterThanOrEqual(3);
      },
      { timeout: 15_000, interval: 100 },
    );

    const live = json<ResourceReport>(await report("--since", "1h", "--json"));
    const keeper = live.modules.find((m) => m.id === "keeper")!;
    expect(keeper.version).toBe("1.0.0");
    expect(keeper.memoryBytes!.peak).toBeGreaterThan(4 * 1024 * 1024); // its worker's heap holds 4 MiB
    expect(live.top.memoryBytes[0]!.module).toBe("keeper@1.0.0");
    const text = await report("--module", "keeper");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/resources from .* \(keeper\): 1 modules, 0 restarts, 0 errors/);
    expect(text.stdout).toContain("top memory: keeper@1.0.0");

    const done = collect(child);
    child.kill("SIGINT");
    expect((await done).code).toBe(0);
    // No host now: read from SQLite, with every sample the host wrote up to its end.
    const offline = json<ResourceReport>(
      await report("--since", "15m", "--json", "--module", "keeper@1.0.0"),
    );
    expect(offline.modules).toHaveLength(1);
    expect(offline.modules[0]!.samples).toBeGreaterThanOrEqual(keeper.samples);
  });

  it("refuses a --since that is no time, saying what it takes", async () => {
    const result = await report("--since", "yesterday");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("CHIP_ERR_CLI_USAGE");
    expect(result.stderr).toContain("--since takes a duration back from now (15m, 24h, 7d)");
    expect(result.stderr).toContain('"yesterday"');
  });
});
