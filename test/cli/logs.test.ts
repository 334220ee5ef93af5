// What a person running the CLI sees of logs and errors: the modules' own log lines and console
// output on stderr, as text naming the module (or pino's JSON when asked), at --log-level; and
// each error once, as its CHIP_ERR_... line.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chipset, json, tempDir, writeModule } from "./harness.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: string;
const cli = (...args: string[]) => chipset(["--data-dir", data, ...args]);

const sdk = 'import { defineModule } from "chipset/module";\n';
/** A module that logs at every level and writes to its console while it starts and when called. */
const chatty = `${sdk}export const module = defineModule({
  init(ctx) {
    ctx.log.debug("init debug line");
    ctx.log.info({ disks: 2 }, "init info line");
    ctx.log.warn("init warn line");
    console.log("console.log from init");
    console.error("console.error from init");
  },
  api: { hi() { console.log("hi on the console"); return "hi"; } },
});
`;

/** A text log line: `HH:MM:SS.mmm <level> <source>: <message>`. */
const LOG_LINE = /^\d\d:\d\d:\d\d\.\d{3} (trace|debug|info |warn |error|fatal) \S+( stdout| stderr)?: /;

beforeAll(async () => {
  tmp = await tempDir("logs");
  data = join(tmp.dir, "data");
  const root = join(tmp.dir, "modules");
  const dirs = [
    await writeModule(root, {
      name: "chatty-process",
      version: "1.0.0",
      chipset: { kind: "tool", isolation: "process" },
      code: chatty,
    }),
    await writeModule(root, {
      name: "chatty-worker",
      version: "1.0.0",
      chipset: { kind: "tool", isolation: "worker" },
      code: chatty,
    }),
    await writeModule(root, {
      name: "broken",
      version: "1.0.0",
      chipset: { kind: "tool" },
      code: `${sdk}export const module = defineModule({ init() { throw new Error("no disk"); }, api: { x() {} } });\n`,
    }),
    await writeModule(root, {
      name: "tolerant",
      version: "1.0.0",
      chipset: { kind: "tool", optional: { broken: "^1.0.0" } },
      code: `${sdk}let broken;
export const module = defineModule({
  init(ctx) { broken = ctx.optional("broken"); },
  api: { works() { return { broken: broken !== undefined }; } },
});
`,
    }),
  ];
  for (const dir of dirs) {
    const added = await cli("add", dir);
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
  }
});

afterAll(() => tmp.cleanup());

describe.concurrent("log lines", () => {
  it.each(["process", "worker"])(
    "shows a %s module's ctx.log.info and console output on stderr as text lines naming the module, and keeps stdout for the result",
    async (isolation) => {
      const key = `chatty-${isolation}@1.0.0`;
      const result = await cli("call", `chatty-${isolation}`, "hi");
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe('"hi"\n');
      const lines = result.stderr.trimEnd().split("\n");
      for (const line of lines) expect(line).toMatch(LOG_LINE);
      const texts = lines.map((line) => line.slice("HH:MM:SS.mmm ".length));
      expect(texts).toEqual(
        expect.arrayContaining([
          `info  ${key}: init info line disks=2`,
          `warn  ${key}: init warn line`,
          `info  ${key} stdout: console.log from init`,
          `warn  ${key} stderr: console.error from init`,
          `info  ${key} stdout: hi on the console`,
        ]),
      );
      expect(result.stderr).not.toMatch(/init debug line/); // below the default level, info
    },
  );

  it("writes pino's JSON lines with --log-format json", async () => {
    const result = await cli("--log-format", "json", "call", "chatty-process", "hi");
    expect(result.code, result.stderr).toBe(0);
    const records = result.stderr
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toContainEqual(
      expect.objectContaining({ level: 30, module: "chatty-process@1.0.0", disks: 2, msg: "init info line" }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({ module: "chatty-process@1.0.0", stream: "stdout", msg: "hi on the console" }),
    );
  });

  it("shows only what is at --log-level or above", async () => {
    const quiet = await cli("--log-level", "warn", "call", "chatty-worker", "hi");
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/info line|console\.log|hi on the console/);
    expect(quiet.stderr).toMatch(/warn {2}chatty-worker@1\.0\.0: init warn line/);

    const debug = await cli("--log-level", "debug", "call", "chatty-worker", "hi");
    expect(debug.stderr).toMatch(/debug chatty-worker@1\.0\.0: init debug line/);

    const silent = await cli("--log-level", "silent", "call", "chatty-worker", "hi");
    expect(silent.stderr).toBe("");
  });

  it("refuses an unknown log level or format as a usage error", async () => {
    const level = await cli("--log-level", "loud", "ls");
    expect(level.code).toBe(2);
    expect(level.stderr).toMatch(
      /^CHIP_ERR_CLI_USAGE: option '--log-level <level>' argument 'loud' is invalid/,
    );
    const format = await cli("--log-format", "xml", "ls");
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/^CHIP_ERR_CLI_USAGE: .*'xml' is invalid/);
  });
});

describe.concurrent("errors", () => {
  it("prints the error a command fails with once, as its CHIP_ERR line", async () => {
    const result = await cli("call", "broken", "x");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("CHIP_ERR_HOOK_FAILED: broken@1.0.0: init hook failed: no disk\n");
  });

  it("with --json, prints it once on stderr and as the JSON document on stdout", async () => {
    const result = await cli("call", "broken", "x", "--json");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("CHIP_ERR_HOOK_FAILED: broken@1.0.0: init hook failed: no disk\n");
    expect(json<{ error: { code: string } }>(result).error.code).toBe("CHIP_ERR_HOOK_FAILED");
  });

  it("logs once, after the command, a module failure the command went on without", async () => {
    const result = await cli("call", "tolerant", "works");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('{\n  "broken": false\n}\n');
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(LOG_LINE);
    expect(lines[0]).toMatch(
      /warn {2}broken@1\.0\.0: init hook failed: no disk command=init code=CHIP_ERR_HOOK_FAILED$/,
    );
  });
});
