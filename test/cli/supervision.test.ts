import type { ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chipset, collect, json, spawnCli, tempDir, writeModule, FREE_PORT } from "./harness.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
let child: ChildProcess | undefined;

beforeEach(async () => {
  tmp = await tempDir("supervise");
  // An eager worker module that crashes a moment after each start: restarted once, then given up.
  await writeModule(join(tmp.dir, "modules"), {
    name: "flaky",
    version: "1.0.0",
    chipset: {
      kind: "test",
      activation: "eager",
      isolation: "worker",
      restart: { maxRestarts: 1, withinMs: 60000, initialDelayMs: 0 },
    },
    code:
      'import { defineModule } from "chipset/module";\n' +
      'export const module = defineModule({ start() { setTimeout(() => { throw new Error("lost the device"); }, 20); } });\n',
  });
  await writeFile(join(tmp.dir, "chipset.config.json"), JSON.stringify({ moduleDirs: ["./modules"] }));
});
afterEach(async () => {
  if (child?.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await tmp.cleanup();
});

describe("chipset start and info with a crashing module", () => {
  it("shows crashes, the restart and the give-up as they happen, and info shows the restart history", async () => {
    child = spawnCli(["--data-dir", "data", "start", ...FREE_PORT], { cwd: tmp.dir });
    const done = collect(child);
    let seen = "";
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on("data", (chunk: Buffer) => {
        seen += chunk.toString("utf8");
        if (/GAVE UP/.test(seen)) resolve();
      });
      child!.once("exit", () => reject(new Error(`exited before giving up:\n${seen}`)));
    });
    // Where it runs, as it starts (and again after the restart, in a new thread).
    const threads = [...seen.matchAll(/started flaky@1\.0\.0 in \S+ m?s \(worker, pid \d+ thread (\d+)\)/g)];
    expect(threads).toHaveLength(2);
    expect(threads[0]![1]).not.toBe(threads[1]![1]);
    expect(seen).toMatch(
      /CRASHED flaky@1\.0\.0 \(uncaught-exception\): CHIP_ERR_MODULE_CRASHED: .*lost the device/,
    );
    expect(seen).toMatch(/restarting flaky@1\.0\.0 in 0 ms \(attempt 1, backoff\)/);
    expect(seen).toMatch(/restarted flaky@1\.0\.0 \(attempt 1, down [\d.]+ m?s\)/);
    expect(seen).toMatch(/GAVE UP on flaky@1\.0\.0: 1 restarts within 60 s; it is failed now/);
    child.kill("SIGINT");
    const result = await done;
    expect(result.code).toBe(0);

    const info = await chipset(["--data-dir", "data", "info", "flaky"], { cwd: tmp.dir });
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/host\s+worker \(not loaded\)/);
    const history = info.stdout.slice(info.stdout.indexOf("restart history"));
    expect(history).toMatch(/flaky@1\.0\.0 uncaught-exception -> gave up: .*lost the device/);
    expect(history).toMatch(/flaky@1\.0\.0 uncaught-exception -> restarted after 0 ms/);
    const asJson = json<{ crashes: Array<{ kind: string; action: string }> }>(
      await chipset(["--data-dir", "data", "info", "flaky", "--json"], { cwd: tmp.dir }),
    );
    expect(asJson.crashes.map((c) => c.action)).toEqual(["gave-up", "restart"]);
  });
});
