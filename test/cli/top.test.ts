import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TopSnapshot } from "../../src/cli/describeTop.js";
import {
  chipset,
  CLI,
  FREE_PORT,
  json,
  spawnCli,
  stopHost,
  tempDir,
  waitForOutput,
  writeModule,
} from "./harness.js";

// `chipset top` against a real host (`chipset start`): a worker module that keeps its thread
// busy, an inline one that answers calls, and a lazy one that is not loaded.

const sdk = 'import { defineModule } from "chipset/module";\n';
let tmp: { dir: string; cleanup: () => Promise<void> };
let host: ChildProcess | undefined;
const data = () => ["--data-dir", join(tmp.dir, "data")];
const cli = (...args: string[]) => chipset([...data(), ...args], { cwd: tmp.dir });

beforeAll(async () => {
  tmp = await tempDir("top");
  const modules = join(tmp.dir, "modules");
  await writeModule(modules, {
    name: "busy",
    version: "1.0.0",
    chipset: { kind: "demo", isolation: "worker", activation: "eager" },
    // Busy 100 ms of every 200: its thread's CPU and event loop are well above zero.
    code: `${sdk}let timer;
export const module = defineModule({
  start() { timer = setInterval(() => { const end = Date.now() + 100; while (Date.now() < end); }, 200); },
  stop() { clearInterval(timer); },
  api: { ping: () => "pong" },
});`,
  });
  await writeModule(modules, {
    name: "answers",
    version: "1.0.0",
    chipset: { kind: "demo", activation: "eager" },
    code: `${sdk}export const module = defineModule({ api: { ping: () => "pong" } });`,
  });
  await writeModule(modules, {
    name: "sleeper",
    version: "1.0.0",
    chipset: { kind: "demo" },
    code: `${sdk}export const module = defineModule({ api: { ping: () => "pong" } });`,
  });
  await writeFile(join(tmp.dir, "chipset.config.json"), JSON.stringify({ moduleDirs: ["./modules"] }));
  host = spawnCli([...data(), "start", ...FREE_PORT], { cwd: tmp.dir });
  await waitForOutput(host, /chipset is running/);
  expect((await cli("call", "answers", "ping")).code).toBe(0);
  // The host's first sample of a module needs two readings a second apart: wait until it has one.
  for (let tries = 0; ; tries++) {
    const listed = json<Array<{ id: string; instance: { resources: unknown } | null }>>(
      await cli("ls", "--json"),
    );
    if (listed.find((m) => m.id === "busy")?.instance?.resources != null) break;
    if (tries === 20) throw new Error("the host never sampled busy");
  }
}, 60_000);

afterAll(async () => {
  await stopHost(host);
  await tmp.cleanup();
});

describe("chipset top --once", () => {
  it("--json prints the machine's figures and every loaded module with its resources and calls", async () => {
    const result = await cli("top", "--once", "--json", "--interval", "300");
    expect(result.code, result.stderr).toBe(0);
    const snapshot = json<TopSnapshot>(result);
    expect(snapshot.system.cpus).toBeGreaterThan(0);
    expect(snapshot.system.loadAverage).toHaveLength(3);
    expect(snapshot.system.memory.availableBytes).toBeGreaterThan(0);
    expect(snapshot.system.disk?.totalBytes).toBeGreaterThan(0);
    // Loaded modules only, the busiest first.
    expect(snapshot.modules.map((m) => m.id)).toEqual(["busy", "answers"]);
    const [busy, answers] = snapshot.modules;
    expect(busy).toMatchObject({ version: "1.0.0", state: "running", isolation: "worker" });
    expect(busy!.cpuPercent).toBeGreaterThan(0);
    expect(busy!.memoryBytes).toBeGreaterThan(0);
    expect(busy!.elu).toBeGreaterThan(0);
    expect(busy!.callsPerSecond).toBe(0); // two readings one interval apart, no call between them
    expect(answers).toMatchObject({ isolation: "inline", memoryBytes: null, calls: 1, failedCalls: 0 });
    expect(answers!.p99Ms).toBeGreaterThanOrEqual(0);
  });

  it("prints the machine's header and one row per loaded module", async () => {
    const result = await cli("top", "--once", "--interval", "200", "--sort", "id");
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(
      /^chipset top {2}host pid \d+, up \d+[smhd], [\d.]+ [KMG]?B resident {2}\(every 200 ms, by id/,
    );
    expect(lines[1]).toMatch(
      /^load [\d.]+ [\d.]+ [\d.]+ {2}cpu (?:[\d.]+%|-) of \d+ CPUs {2}mem [\d.]+ [KMGT]?B used/,
    );
    expect(lines[2]).toMatch(/^disk .* free of .* {2}net /);
    expect(result.stdout).toMatch(
      /^ID\s+VERSION\s+HOST\s+CPU\s+MEM\s+HEAP\s+ELU\s+READ\/S\s+WRITE\/S\s+NET IN\/S\s+NET OUT\/S\s+CALLS\/S\s+P99\s+ERRORS$/m,
    );
    // By id: answers before busy; an inline module's memory, heap and event loop are not its own: `-`.
    expect(result.stdout).toMatch(/^answers\s+1\.0\.0\s+inline\s+[\d.]+%\s+-\s+-\s+-\s+/m);
    expect(result.stdout).toMatch(
      /^busy\s+1\.0\.0\s+worker\s+[\d.]+%\s+[\d.]+ [KMG]?B\s+[\d.]+ [KMG]?B\s+\d+%\s+/m,
    );
    expect(result.stdout.indexOf("answers")).toBeLessThan(result.stdout.indexOf("busy "));
    expect(result.stdout).not.toContain("sleeper");
  });
});

describe("chipset top's options", () => {
  it("refuses a --sort it does not know, naming the value and the choices", async () => {
    const result = await cli("top", "--sort", "size");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/CHIP_ERR_CLI_USAGE: .*'size'.*cpu, mem, disk, net, calls, id/);
  });

  it("refuses an --interval that is not a whole number of at least 100 ms", async () => {
    for (const bad of ["0", "50", "1.5", "fast"]) {
      const result = await cli("top", "--interval", bad);
      expect(result.code, bad).toBe(2);
      expect(result.stderr).toContain(
        `CHIP_ERR_CLI_USAGE: --interval takes a whole number of milliseconds, at least 100`,
      );
      expect(result.stderr).toContain(`not "${bad}"`);
    }
  });

  it("says no host runs when none serves the data directory", async () => {
    const other = await tempDir("top-none");
    try {
      const result = await chipset(["--data-dir", join(other.dir, "data"), "top", "--once"], {
        cwd: other.dir,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^CHIP_ERR_HOST_NOT_RUNNING: `top` acts on the running host/);
    } finally {
      await other.cleanup();
    }
  });
});

describe("chipset top on a terminal", () => {
  it("redraws in place every interval with the cursor hidden, and Ctrl-C ends it with status 0 and the cursor back", async () => {
    // `script` (bsdutils) gives the CLI a pseudo-terminal of 40 rows and 160 columns; a Ctrl-C
    // typed on it reaches the CLI as SIGINT, as at a terminal. `exec` makes the CLI the shell's
    // replacement, as an interactive shell puts it in a process group of its own: a `sh -c` left
    // waiting (dash when SHELL is unset) would take the same SIGINT and exit 130 itself.
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const line = `stty rows 40 cols 160; exec ${[process.execPath, CLI, ...data(), "top", "--interval", "200"].map(quote).join(" ")}`;
    const child = spawn("script", ["-qec", line, "/dev/null"], {
      cwd: tmp.dir,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let shown = "";
    const frames = () => shown.split("\u001b[H").filter((f) => f.includes("CALLS/S")).length;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      shown += chunk;
      if (frames() >= 3 && child.stdin.writable) child.stdin.end("\u0003");
    });
    const [code] = (await once(child, "close")) as [number | null];
    expect(code, shown).toBe(0);
    expect(shown.startsWith("\u001b[?25l\u001b[2J\u001b[H")).toBe(true); // hide the cursor, clear, home
    expect(frames()).toBeGreaterThanOrEqual(3); // each frame drawn from the top-left corner
    expect(shown.endsWith("\u001b[?25h")).toBe(true); // the cursor shown again on the way out
    expect(shown).not.toContain("CHIP_ERR");
  });
});
