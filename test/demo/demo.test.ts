// The demo host (examples/host.mjs) run as a person would run it: a real child process on the
// built package, its own data directory, and assertions on what its output shows. Needs dist/
// (built by `npm test`'s pretest, or `npm run build`).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";

const repoRoot = resolve(import.meta.dirname, "../..");
const host = join(repoRoot, "examples", "host.mjs");
const modulesDir = join(repoRoot, "examples", "modules");
const EAGER = ["event-bus", "file-io", "settings"];

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts the host; `until(text)` resolves once stdout contains `text`, `exit` when it ends.
 * With `group`, the host leads a process group of its own, as a shell's foreground job does, so
 * that `process.kill(-pid, "SIGINT")` is what a terminal's Ctrl-C does.
 */
function start(args: string[], options: { group?: boolean } = {}) {
  const child = spawn(process.execPath, [host, ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.group === true,
  });
  let stdout = "";
  let stderr = "";
  const watchers: Array<{ text: string; resolve: () => void }> = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const w of watchers.splice(0)) {
      if (stdout.includes(w.text)) w.resolve();
      else watchers.push(w);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exit = new Promise<Run>((done, fail) => {
    child.on("error", fail);
    child.on("close", (code, signal) => done({ code, signal, stdout, stderr }));
  });
  const until = (text: string) =>
    new Promise<void>((done, fail) => {
      if (stdout.includes(text)) return done();
      watchers.push({ text, resolve: done });
      void exit.then((run) =>
        fail(
          new Error(
            `the host exited (code ${run.code}) before printing "${text}":\n${run.stdout}\n${run.stderr}`,
          ),
        ),
      );
    });
  return { child, exit, until };
}

/** A line the demo prints on stderr for a log record: `  · <id@version>[ stdout|stderr]  [warn |error ]<message>`. */
const LOG_LINE = /^ {2}· (chipset|\S+@\S+)( stdout| stderr)? {2}((warn|error|fatal) )?\S/;

/** The log lines on stderr at `warn` or above (what went wrong). */
function warnings(stderr: string): string[] {
  return stderr.split("\n").filter((line) => LOG_LINE.exec(line)?.[4] !== undefined);
}

/** The ids of a "label  a → b → c" line. */
function arrowList(stdout: string, label: string): string[] {
  const line = stdout.split("\n").find((l) => l.trimStart().startsWith(label));
  expect(line, `a "${label}" line in:\n${stdout}`).toBeDefined();
  return line!.trim().slice(label.length).trim().split(" → ");
}

/** Every hard and optional dependency declared by the demo modules, as [dependent, dependency]. */
function dependencyPairs(): Array<[string, string]> {
  return readdirSync(modulesDir).flatMap((dir) => {
    const pkg = JSON.parse(readFileSync(join(modulesDir, dir, "package.json"), "utf8")) as {
      name: string;
      chipset: { requires?: Record<string, string>; optional?: Record<string, string> };
    };
    return Object.keys({ ...pkg.chipset.requires, ...pkg.chipset.optional }).map((dep): [string, string] => [
      pkg.name,
      dep,
    ]);
  });
}

/** The state column of `id` in the Modules table. */
function tableState(stdout: string, id: string): string | undefined {
  const row = stdout
    .split("\n")
    .find(
      (l) =>
        l.trimStart().startsWith(`${id} `) &&
        /\b(registered|loaded|initialized|running|paused|stopped|failed|crashed)\b/.test(l),
    );
  return row?.match(/\b(registered|loaded|initialized|running|paused|stopped|failed|crashed)\b/)?.[1];
}

describe("the demo host", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "chipset-demo-"));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * `--once` on a fresh data directory, run once for the tests that each began with exactly that
   * command (a session costs seconds of CPU); started on first use, so each test runs alone too.
   */
  let firstSession: Promise<{ run: Run; dataDir: string }> | undefined;
  const onceOnFreshData = () =>
    (firstSession ??= (async () => {
      const dir = mkdtempSync(join(tmpdir(), "chipset-demo-"));
      return { run: await start(["--once", "--data-dir", dir]).exit, dataDir: dir };
    })());
  afterAll(async () => {
    if (firstSession !== undefined) rmSync((await firstSession).dataDir, { recursive: true, force: true });
  });

  it("runs the scripted session with --once and shows on-demand loading, ordered start and stop", async () => {
    const { run, dataDir } = await onceOnFreshData();
    expect(warnings(run.stderr)).toEqual([]);
    expect(run.code, run.stdout).toBe(0);
    const { stdout } = run;

    expect(stdout).toMatch(/10 new · 0 rejected/);

    const started = arrowList(stdout, "start order");
    const firstLazy = Math.min(...started.map((id, i) => (EAGER.includes(id) ? Infinity : i)));
    expect(started.slice(0, EAGER.length).sort()).toEqual(EAGER);
    expect(firstLazy).toBe(EAGER.length);
    for (const dep of ["file-io", "codec", "gpu-accel"]) {
      expect(started.indexOf(dep), `${dep} runs before video-player`).toBeLessThan(
        started.indexOf("video-player"),
      );
    }
    expect(started).toContain("thumbnailer");

    expect(started).not.toContain("subtitles");
    expect(stdout).toMatch(/never loaded\s+subtitles\b/);
    expect(tableState(stdout, "subtitles")).toBe("registered");
    expect(tableState(stdout, "video-player")).toBe("running");

    const stopped = arrowList(stdout, "stop order");
    expect([...stopped].sort()).toEqual([...new Set(started)].sort());
    for (const [dependent, dependency] of dependencyPairs()) {
      if (!stopped.includes(dependent)) continue;
      expect(stopped.indexOf(dependent), `${dependent} stops before ${dependency}`).toBeLessThan(
        stopped.indexOf(dependency),
      );
    }

    expect(stdout).toMatch(/called\s+video-player\.status\(\) → held/);
    expect(stdout).toMatch(/answered\s+status\(\) after waiting/);
    expect(stdout).toMatch(/CHIP_ERR_METHOD_NOT_FOUND\s+video-player@1\.4\.0 has no method "rewind"/);
    expect(stdout).toMatch(/CHIP_ERR_CALL_FAILED\s+.*"volume" must be an integer from 0 to 100/);

    // The driver crash: contained in gpu-accel's process, answered by its fallback, restarted.
    expect(stdout).toMatch(/crashed gpu-accel \(uncaught-exception\): driver fault/);
    expect(stdout).toMatch(/fallback calls to gpu-accel now go to soft-decoder/);
    // The frame in flight at the crash goes to the fallback too: no call fails.
    const damaged = stdout.match(
      /played\s+24 frames of damaged\.cvf: (\d+) on gpu-accel, then (\d+) by soft-decoder/,
    );
    expect(damaged, stdout).not.toBeNull();
    expect(Number(damaged![1]) + Number(damaged![2])).toBe(24);
    expect(Number(damaged![2])).toBeGreaterThan(0);
    expect(stdout).toMatch(/played\s+24 frames while gpu-accel was down: 24 decoded by soft-decoder/);
    const pids = stdout.match(/restarted gpu-accel after .* \(pid (\d+) → (\d+)\)/);
    expect(pids, stdout).not.toBeNull();
    expect(pids![1]).not.toBe(pids![2]);
    expect(stdout).toMatch(/fallback off calls go to gpu-accel again/);
    expect(stdout).toMatch(/played\s+24 frames of clip\.cvf on gpu-accel again/);
    // A slow dependency: two timeouts open the breaker, which then refuses at once, and closes after.
    expect(stdout).toMatch(/probe 1\s+CHIP_ERR_CALL_TIMEOUT/);
    expect(stdout).toMatch(
      /probe 2\s+CHIP_ERR_CALL_TIMEOUT[\s\S]*breaker open codec\.probe after 2 failures/,
    );
    // Refused by the open breaker, not left to its timeout (how fast is the machine's business).
    expect(stdout).toMatch(/probe 3\s+CHIP_ERR_BREAKER_OPEN in /);
    expect(stdout).toMatch(/probe 4\s+answered[\s\S]*breaker closed codec\.probe/);
    expect(stdout).toMatch(/errors\s+\d+ recorded: .*CHIP_ERR_CALL_TIMEOUT 2/);
    expect(stdout).toMatch(/gpu-accel .*process \(pid \d+\)/);
    expect(stdout).toMatch(/video-player .*worker \(thread \d+\)/);

    const thumbs = join(dataDir, "cache", "thumbs");
    expect(readdirSync(thumbs).sort()).toEqual(["icon.ppm", "sunset.ppm"]);
    expect(readFileSync(join(thumbs, "sunset.ppm")).subarray(0, 10).toString("latin1")).toBe("P6\n12 8\n25");
  });

  it("finds the registry as it left it on the next run", async () => {
    const first = await onceOnFreshData();
    expect(first.run.code).toBe(0);
    const again = await start(["--once", "--data-dir", first.dataDir]).exit;
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toMatch(/10 unchanged · 0 rejected/);
  });

  it("shows the modules' own log lines on stderr, each naming its module, and pino's JSON when asked", async () => {
    const text = (await onceOnFreshData()).run;
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stderr.trimEnd().split("\n");
    for (const line of lines) expect(line).toMatch(LOG_LINE);
    // ctx.log.info of an inline module, and of a module in a child process (sent over IPC).
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}· codec@1\.3\.0 {2}codec ready {2}backend=/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}· gpu-accel@2\.0\.1 {2}accelerator released/));
    // What gpu-accel's process writes to its console, tagged with the module.
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}· gpu-accel@2\.0\.1 stdout {2}sim-gpu0: 2 frame buffers reserved$/),
    );
    expect(text.stdout).not.toMatch(/frame buffers reserved/);

    const json = await start(["--once", "--data-dir", dataDir, "--log-format", "json"]).exit;
    expect(json.code, json.stderr).toBe(0);
    const records = json.stderr
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { level: number; module?: string; stream?: string; msg: string });
    expect(records).toContainEqual(
      expect.objectContaining({ level: 30, module: "codec@1.3.0", msg: "codec ready" }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({
        module: "gpu-accel@2.0.1",
        stream: "stdout",
        msg: "sim-gpu0: 2 frame buffers reserved",
      }),
    );
  });

  it("refuses a wrong option with what was wrong and its usage, exit 2, and starts nothing", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["--bogus"], /Unknown option '--bogus'/],
      [["--data-dir"], /--data-dir.*argument missing/],
      [["--log-level", "loud"], /--log-level loud is not a level/],
    ];
    for (const [args, said] of cases) {
      const run = await start(args).exit;
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(said);
      expect(run.stderr).toMatch(/^usage: node examples\/host\.mjs /m);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).toBe("");
    }
  });

  it("keeps running until SIGINT, serving its HTTP API meanwhile, then stops every module and exits 0", async () => {
    const host = start(["--data-dir", dataDir, "--http", "127.0.0.1:0"]);
    await host.until("Press Ctrl-C to stop.");
    // Another terminal finds the host through <data-dir>/host.json, as the chipset CLI does.
    const { url, token } = JSON.parse(readFileSync(join(dataDir, "host.json"), "utf8")) as {
      url: string;
      token: string;
    };
    const reply = await fetch(`${url}/v1/modules/settings`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(reply.status).toBe(200);
    expect(await reply.json()).toMatchObject({ id: "settings", state: "running" });
    host.child.kill("SIGINT");
    const run = await host.exit;
    expect(existsSync(join(dataDir, "host.json"))).toBe(false);
    expect(warnings(run.stderr)).toEqual([]);
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    expect(run.stdout).toContain("SIGINT received");
    const stopped = arrowList(run.stdout, "stop order");
    expect(stopped.indexOf("video-player")).toBeLessThan(stopped.indexOf("codec"));
    expect(stopped.indexOf("codec")).toBeLessThan(stopped.indexOf("file-io"));
    expect(run.stdout).toMatch(/\d modules stopped in .*Bye\./);
  });

  it("stops every module itself and exits 0 when Ctrl-C signals its whole process group", async () => {
    const demo = start(["--data-dir", dataDir, "--http", "127.0.0.1:0"], { group: true });
    await demo.until("Press Ctrl-C to stop.");
    // A terminal sends SIGINT to every process of the foreground group, process hosts included.
    process.kill(-demo.child.pid!, "SIGINT");
    const run = await demo.exit;
    expect({ code: run.code, signal: run.signal }, `${run.stdout}\n${run.stderr}`).toEqual({
      code: 0,
      signal: null,
    });
    const shutdown = run.stdout.slice(run.stdout.indexOf("SIGINT received"));
    expect(shutdown).not.toMatch(/crashed|killed by|did not stop cleanly/);
    const stopped = arrowList(run.stdout, "stop order");
    // gpu-accel runs in a child process: the host stopped it, Ctrl-C did not kill it.
    expect(stopped).toContain("gpu-accel");
    expect(stopped.indexOf("codec")).toBeLessThan(stopped.indexOf("gpu-accel"));
    expect(run.stdout).toMatch(/\d+ modules stopped in .*Bye\./);
  });
});
