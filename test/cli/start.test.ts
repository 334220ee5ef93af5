import type { ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeChain } from "./fixtures.js";
import {
  collect,
  spawnCli,
  tempDir,
  waitForOutput,
  writeModule,
  type CliResult,
  FREE_PORT,
} from "./harness.js";

/** The module keys of lines `<time> <verb> <id@version> ...`, in printed order. */
function keysOf(verb: string, out: string): string[] {
  return [...out.matchAll(new RegExp(`^\\S+ ${verb} (\\S+@\\S+)`, "gm"))].map((m) => m[1]!);
}

let tmp: { dir: string; cleanup: () => Promise<void> };
let child: ChildProcess | undefined;

beforeEach(async () => {
  tmp = await tempDir("start");
  await writeChain(join(tmp.dir, "modules"), "eager");
  // Relative paths: moduleDirs against the config file, --data-dir against the working directory.
  await writeFile(join(tmp.dir, "chipset.config.json"), JSON.stringify({ moduleDirs: ["./modules"] }));
});
afterEach(async () => {
  if (child?.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await tmp.cleanup();
});

describe("chipset start", () => {
  it("starts eager modules in dependency order, and on SIGINT stops them in reverse order and exits 0", async () => {
    // No --config: ./chipset.config.json in the working directory is the default.
    child = spawnCli(["--data-dir", "data", "start", ...FREE_PORT], { cwd: tmp.dir });
    const done = collect(child);
    const boot = await waitForOutput(child, /chipset is running/);

    expect(keysOf("registered", boot).sort()).toEqual([
      "app@1.0.0",
      "core@1.0.0",
      "lib@1.0.0",
      "other@1.0.0",
    ]);
    expect(keysOf("started", boot)).toEqual(["core@1.0.0", "lib@1.0.0", "app@1.0.0"]);
    expect(keysOf("loaded", boot).sort()).toEqual(["app@1.0.0", "core@1.0.0", "lib@1.0.0"]);
    expect(boot).toMatch(/started core@1\.0\.0 in [\d.]+ m?s/);
    expect(boot).toMatch(/running \(3\): app@1\.0\.0, core@1\.0\.0, lib@1\.0\.0/);
    expect(boot).toMatch(/lazy, loaded on first use \(1\): other@1\.0\.0/);

    child.kill("SIGINT");
    const result: CliResult = await done;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const shutdown = result.stdout.slice(result.stdout.indexOf("SIGINT received"));
    expect(shutdown).toMatch(/^SIGINT received: stopping\.\.\./);
    expect(keysOf("stopped", shutdown)).toEqual(["app@1.0.0", "lib@1.0.0", "core@1.0.0"]);
    expect(shutdown).toMatch(/stopped in [\d.]+ m?s: app, lib, core\n$/);
  });

  it("stops a module in a child process itself and exits 0 when Ctrl-C signals its whole process group", async () => {
    await writeModule(join(tmp.dir, "modules"), {
      name: "driver",
      version: "1.0.0",
      chipset: { kind: "driver", isolation: "process", activation: "eager" },
      code: 'import { defineModule } from "chipset/module";\nexport const module = defineModule({ api: {} });\n',
    });
    child = spawnCli(["--data-dir", "data", "start", ...FREE_PORT], { cwd: tmp.dir, group: true });
    const done = collect(child);
    const boot = await waitForOutput(child, /chipset is running/);
    expect(boot).toMatch(/started driver@1\.0\.0 in .* \(process, pid \d+\)/);

    // A terminal sends SIGINT to every process of its foreground group, the module's host included.
    process.kill(-child.pid!, "SIGINT");
    const result = await done;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/CRASHED/);
    expect(keysOf("stopped", result.stdout)).toContain("driver@1.0.0");
  });

  it("names a module that crashed and waits for its restart as down when Ctrl-C stops the host, and exits 0", async () => {
    await writeModule(join(tmp.dir, "modules"), {
      name: "driver",
      version: "1.0.0",
      chipset: {
        kind: "driver",
        isolation: "process",
        activation: "eager",
        restart: { initialDelayMs: 600_000, maxDelayMs: 600_000 },
      },
      // Dies once it has started: a crash the supervisor will restart, ten minutes from now.
      code:
        'import { defineModule } from "chipset/module";\n' +
        "export const module = defineModule({ start() { setTimeout(() => process.exit(3), 0); }, api: {} });\n",
    });
    child = spawnCli(["--data-dir", "data", "start", ...FREE_PORT], { cwd: tmp.dir, group: true });
    const done = collect(child);
    await waitForOutput(child, /restarting driver@1\.0\.0 in/);

    process.kill(-child.pid!, "SIGINT");
    const result = await done;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const shutdown = result.stdout.slice(result.stdout.indexOf("SIGINT received"));
    expect(shutdown).toMatch(
      /not stopped: driver had crashed \(CHIP_ERR_MODULE_CRASHED: driver@1\.0\.0 crashed \(exit\).*\); its restart is cancelled/,
    );
    expect(shutdown).toMatch(/stopped in [\d.]+ m?s: app, lib, core; down already: driver\n$/);
  });

  it("exits 1 with the error when an eager module fails to start, after closing the runtime", async () => {
    const broken =
      'import { defineModule } from "chipset/module";\nexport const module = defineModule({ start() { throw new Error("no disk"); } });\n';
    await writeFile(join(tmp.dir, "modules", "core", "index.js"), broken);
    child = spawnCli(["--data-dir", "data", "--config", "chipset.config.json", "start", ...FREE_PORT], {
      cwd: tmp.dir,
    });
    const result = await collect(child);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/failed core@1\.0\.0 during start/);
    expect(result.stdout).toMatch(
      /stopping after a start-up failure\.\.\.\n(.*\n)*.* stopped in [\d.]+ m?s: /,
    );
    expect(result.stderr).toMatch(/^CHIP_ERR_HOOK_FAILED: .*no disk/m);
  });
});
