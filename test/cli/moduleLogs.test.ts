// `chipset logs`: what a running host's modules logged (ctx.log, and the console of worker and
// process modules), kept by the host in rotating files under <data-dir>/logs and read from there.
import type { ChildProcess } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readHostFile } from "../../src/server/hostFile.js";
import {
  chipset,
  collect,
  FREE_PORT,
  spawnCli,
  tempDir,
  waitForOutput,
  writeModule,
  type CliResult,
} from "./harness.js";

/** Small files, so that a test fills a few: 4 KiB each, 2 kept besides the current one. */
const MAX_FILE_BYTES = 4096;
const KEEP_FILES = 2;

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: string;
let host: ChildProcess | undefined;
const cli = (...args: string[]) => chipset(["--data-dir", data, ...args]);

/** A module that logs as it starts and stops, and on each call, through ctx.log and its console. */
const talker = `import { defineModule } from "chipset/module";
let log;
export const module = defineModule({
  start(ctx) { log = ctx.log; ctx.log.info({ n: 1 }, "started up"); console.log("console hello"); },
  stop(ctx) { ctx.log.info("stop hook ran"); },
  api: {
    say(text) { log.info(text); console.log("console " + text); return text; },
    spam(from, count) { for (let i = from; i < from + count; i++) log.info("spam " + i + " " + "x".repeat(60)); },
  },
});
`;

/** Calls `method` of module `id` through the running host's API. */
async function call(id: string, method: string, ...args: unknown[]): Promise<unknown> {
  const file = readHostFile(data)!;
  const response = await fetch(`${file.url}/v1/modules/${id}/calls/${method}`, {
    method: "POST",
    headers: { authorization: `Bearer ${file.token}`, "content-type": "application/json" },
    body: JSON.stringify({ args }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { result: unknown }).result;
}

/** `chipset logs ...args`, once its output matches `pattern` (the host writes its files asynchronously). */
async function logsUntil(pattern: RegExp, ...args: string[]): Promise<CliResult> {
  let result: CliResult | undefined;
  await vi.waitFor(
    async () => {
      result = await cli("logs", ...args);
      expect(result.stdout).toMatch(pattern);
    },
    { timeout: 10_000, interval: 50 },
  );
  return result!;
}

/** The text of a line of `chipset logs` after its date and time. */
const LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (.*)$/;
const texts = (stdout: string) =>
  stdout
    .trimEnd()
    .split("\n")
    .map((line) => LINE.exec(line)?.[1] ?? line);

beforeAll(async () => {
  tmp = await tempDir("module-logs");
  data = join(tmp.dir, "data");
  for (const isolation of ["worker", "process"]) {
    await writeModule(join(tmp.dir, "modules"), {
      name: `talk-${isolation}`,
      version: "1.0.0",
      chipset: { kind: "tool", isolation, activation: "eager" },
      code: talker,
    });
  }
  const config = join(tmp.dir, "chipset.config.json");
  await writeFile(
    config,
    JSON.stringify({
      moduleDirs: ["./modules"],
      logs: { maxFileBytes: MAX_FILE_BYTES, keepFiles: KEEP_FILES },
    }),
  );
  // --log-level silent: the files are written whatever stderr shows.
  host = spawnCli(["--data-dir", data, "--config", config, "--log-level", "silent", "start", ...FREE_PORT]);
  await waitForOutput(host, /chipset is running/);
}, 30_000);

afterAll(async () => {
  if (host?.exitCode === null && host.signalCode === null) {
    const done = collect(host);
    host.kill("SIGINT");
    await done;
  }
  await tmp.cleanup();
});

describe("chipset logs", () => {
  it("shows the ctx.log and console lines of worker and process modules, each tagged with its module, level and time", async () => {
    let result: CliResult | undefined;
    await vi.waitFor(
      async () => {
        result = await cli("logs");
        expect(texts(result.stdout)).toEqual(
          expect.arrayContaining([
            "info  talk-worker@1.0.0: started up n=1",
            "info  talk-worker@1.0.0 stdout: console hello",
            "info  talk-process@1.0.0: started up n=1",
            "info  talk-process@1.0.0 stdout: console hello",
          ]),
        );
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(result!.code).toBe(0);
    expect(result!.stderr).toBe("");
  });

  it("shows one module's lines for its id or id@version, and --lines bounds how many", async () => {
    for (const n of [1, 2, 3, 4]) await call("talk-worker", "say", `worker says ${n}`);
    await call("talk-process", "say", "process says 1");
    await logsUntil(/console process says 1/);
    // A module's console and its ctx.log reach the host by two channels: their lines may interleave either way.
    const worker = texts((await logsUntil(/console worker says 4/, "talk-worker", "--lines", "3")).stdout);
    expect(worker).toHaveLength(3);
    expect(worker).toEqual(
      expect.arrayContaining([
        "info  talk-worker@1.0.0: worker says 4",
        "info  talk-worker@1.0.0 stdout: console worker says 4",
      ]),
    );
    for (const line of worker)
      expect(line).toMatch(/^info {2}talk-worker@1\.0\.0( stdout)?: (console )?worker says [34]$/);
    const exact = await cli("logs", "talk-process@1.0.0", "--lines", "2");
    expect(texts(exact.stdout).sort()).toEqual([
      "info  talk-process@1.0.0 stdout: console process says 1",
      "info  talk-process@1.0.0: process says 1",
    ]);
    expect((await cli("logs", "talk-process@9.9.9")).stdout).toBe("");
  });

  it("prints the records as they are in the files with --json", async () => {
    await call("talk-process", "say", "as json");
    const result = await logsUntil(
      /"msg":"as json"[\s\S]*console as json|console as json[\s\S]*"msg":"as json"/,
      "talk-process",
      "--lines",
      "2",
      "--json",
    );
    const records = result.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(2);
    expect(records).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 30,
          module: "talk-process@1.0.0",
          msg: "as json",
          time: expect.any(Number) as unknown,
        }),
        expect.objectContaining({ module: "talk-process@1.0.0", stream: "stdout", msg: "console as json" }),
      ]),
    );
  });

  it("refuses a --lines that is not a count as a usage error", async () => {
    const result = await cli("logs", "--lines", "many");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^CHIP_ERR_CLI_USAGE: --lines must be a non-negative integer, got many/);
  });

  it("with --follow, prints lines logged after it started until Ctrl-C", async () => {
    const follower = spawnCli(["--data-dir", data, "logs", "talk-worker", "--follow", "--lines", "1"]);
    const done = collect(follower);
    try {
      await waitForOutput(follower, /talk-worker@1\.0\.0/);
      const shown = waitForOutput(follower, /console said while followed/);
      await call("talk-process", "say", "not this module");
      await call("talk-worker", "say", "said while followed");
      await shown;
    } finally {
      follower.kill("SIGINT");
    }
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/not this module/);
  });

  it("keeps the files bounded by rotating them, and --follow reads on across rotations", async () => {
    const follower = spawnCli([
      "--data-dir",
      data,
      "logs",
      "talk-worker",
      "--follow",
      "--lines",
      "1",
      "--json",
    ]);
    const done = collect(follower);
    try {
      await waitForOutput(follower, /talk-worker/);
      // About 2.7 KB a batch (over half a file); each batch waits until the follower has shown it.
      for (let batch = 0; batch < 6; batch++) {
        const shown = waitForOutput(follower, new RegExp(`spam ${batch * 30 + 29} `));
        await call("talk-worker", "spam", batch * 30, 30);
        await shown;
      }
    } finally {
      follower.kill("SIGINT");
    }
    const followed = (await done).stdout.match(/spam (\d+) /g)!.map((m) => Number(m.slice(5, -1)));
    expect(followed).toEqual(Array.from({ length: 180 }, (_, i) => i));

    const files = readdirSync(join(data, "logs")).filter((name) => name.startsWith("modules.log"));
    expect(files.sort()).toEqual(["modules.log", "modules.log.1", "modules.log.2"]);
    for (const name of files)
      expect(statSync(join(data, "logs", name)).size).toBeLessThanOrEqual(MAX_FILE_BYTES);
    // What is kept is the newest lines, without a gap.
    const kept = (await cli("logs", "talk-worker", "--lines", "1000")).stdout.match(/spam (\d+) /g)!;
    const numbers = kept.map((m) => Number(m.slice(5, -1)));
    expect(numbers.at(-1)).toBe(179);
    expect(numbers.length).toBeLessThan(180);
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i));
  });
});
