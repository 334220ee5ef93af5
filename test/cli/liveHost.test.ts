import { spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  chipset,
  closedPort,
  FREE_PORT,
  json,
  spawnCli,
  stopHost,
  tempDir,
  waitForOutput,
  writeModule,
} from "./harness.js";

// The CLI talking to a running host (`chipset start`) from a second process: queries, calls and
// control go through the host's API, and its errors come back as they would offline.

interface HostFile {
  url: string;
  pid: number;
  token: string;
}

interface Listed {
  id: string;
  version: string;
  state: string;
  instance: null | {
    state: string;
    host: { isolation: string; pid: number; threadId: number };
    calls: number;
    restarts: number;
    uptimeMs: number | null;
  };
}

interface Hit {
  pid: number;
  count: number;
}

/** A data directory with its own config and modules under `dir`. */
interface Workspace {
  dir: string;
  data: string;
  cleanup: () => Promise<void>;
}

/** The source of a process module that counts its calls in memory and says which process answers. */
const COUNTER = `import { defineModule } from "chipset/module";
let count = 0;
export const module = defineModule({ api: { hit() { count++; return { pid: process.pid, count }; } } });`;

/** Makes a workspace whose config finds the eager process counters `ids` in ./modules. */
async function workspace(ids: readonly string[]): Promise<Workspace> {
  const { dir, cleanup } = await tempDir("live-host");
  for (const name of ids)
    await writeModule(join(dir, "modules"), {
      name,
      version: "1.0.0",
      chipset: { kind: "demo", isolation: "process", activation: "eager" },
      code: COUNTER,
    });
  await writeFile(join(dir, "chipset.config.json"), JSON.stringify({ moduleDirs: ["./modules"] }));
  return { dir, data: join(dir, "data"), cleanup };
}

/** Runs the CLI on workspace `ws`'s data directory, from its folder. */
const cliIn = (ws: Workspace, ...args: string[]) =>
  chipset(["--data-dir", ws.data, ...args], { cwd: ws.dir });

/**
 * The tests that talk to a running host share one (a host and its module processes cost seconds
 * of CPU to start). Each has a counter of its own, so none sees another's calls, stops or
 * updates; it starts on first use, so a test run alone with -t starts it too.
 */
const ON_HOST = {
  ls: "counter-ls",
  control: "counter-control",
  errors: "counter-errors",
  offline: "counter-offline",
  token: "counter-token",
  update: "counter-update",
} as const;
let live: Promise<{ ws: Workspace; host: ChildProcess; file: HostFile }> | undefined;

/** The shared host's host.json and workspace folder, starting the host the first time. */
async function startHost(): Promise<HostFile & { dir: string }> {
  live ??= (async () => {
    const ws = await workspace(Object.values(ON_HOST));
    const host = spawnCli(["--data-dir", ws.data, "start", ...FREE_PORT], { cwd: ws.dir });
    await waitForOutput(host, /chipset is running/);
    const file = JSON.parse(readFileSync(join(ws.data, "host.json"), "utf8")) as HostFile;
    return { ws, host, file };
  })();
  const { ws, file } = await live;
  return { ...file, dir: ws.dir };
}
afterAll(async () => {
  if (live === undefined) return;
  const { ws, host } = await live;
  await stopHost(host);
  await ws.cleanup();
});

/** The CLI on the shared host's data directory. */
async function cli(...args: string[]) {
  const { ws } = await live!;
  return cliIn(ws, ...args);
}

async function onHost(id: string): Promise<Listed> {
  const listed = await cli("ls", "--json");
  expect(listed.code).toBe(0);
  return json<Listed[]>(listed).find((m) => m.id === id)!;
}

describe("with a host running, the CLI goes through its API", () => {
  it("ls shows the state and pid of the process the host runs a module in, and call is answered by that same instance", async () => {
    const hostFile = await startHost();
    const ID = ON_HOST.ls;
    const counter = await onHost(ID);
    expect(counter).toMatchObject({
      state: "running",
      instance: { state: "running", calls: 0, restarts: 0 },
    });
    const pid = counter.instance!.host.pid;
    expect(counter.instance!.host.isolation).toBe("process");
    expect(pid).not.toBe(hostFile.pid); // a process of its own, not the host's

    const table = await cli("ls");
    expect(table.stdout).toMatch(
      /^ID\s+VERSION\s+STATE\s+HOST\s+PID\s+THREAD\s+CALLS\s+RESTARTS\s+CPU\s+MEM\s+UPTIME$/m,
    );
    expect(table.stdout).toMatch(
      // CPU and MEM: figures once the host sampled it, `-` before.
      new RegExp(
        `^${ID}\\s+1\\.0\\.0\\s+running\\s+process\\s+${pid}\\s+-\\s+0\\s+0\\s+(?:[\\d.]+%|-)\\s+(?:[\\d.]+ [KMGT]?B|-)\\s+\\d+[smhd]$`,
        "m",
      ),
    );

    // The count in the module's memory goes on from one command to the next: the host's instance answers.
    const first = await cli("call", ID, "hit", "--json");
    const second = await cli("call", ID, "hit", "--json");
    expect(json<{ result: Hit }>(first).result).toEqual({ pid, count: 1 });
    expect(json<{ result: Hit }>(second).result).toEqual({ pid, count: 2 });

    const info = await cli("info", ID);
    expect(info.stdout).toMatch(new RegExp(`^\\s+host\\s+process \\(pid ${pid}\\)$`, "m"));
    expect(info.stdout).toMatch(/^\s+calls\s+2$/m);
    expect(info.stdout).toMatch(/^\s+uptime\s+\d+[smhd]$/m);
    expect(info.stdout).toMatch(/^\s+restarts\s+0 since the host started$/m);
    const detail = json<{ instances: Array<{ host: { pid: number }; calls: number }>; breakers: unknown[] }>(
      await cli("info", ID, "--json"),
    );
    expect(detail.instances).toHaveLength(1);
    expect(detail.instances[0]).toMatchObject({ host: { pid }, calls: 2 });
    expect(detail.breakers).toEqual([]);
  });

  it("stop, start and restart <ref> change the state the host reports, and restart runs the module in a new process", async () => {
    await startHost();
    const ID = ON_HOST.control;
    const before = (await onHost(ID)).instance!.host.pid;
    await cli("call", ID, "hit");

    const stopped = await cli("stop", ID);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(new RegExp(`^stop ${ID}@1\\.0\\.0 on the host \\(pid \\d+\\): stopped`));
    expect((await onHost(ID)).state).toBe("stopped");

    const started = await cli("start", ID, "--json");
    expect(json<{ action: string; state: string }>(started)).toMatchObject({
      action: "start",
      state: "running",
    });
    expect((await onHost(ID)).state).toBe("running");

    const restarted = await cli("restart", ID);
    expect(restarted.code).toBe(0);
    const after = (await onHost(ID)).instance!;
    expect(after.state).toBe("running");
    expect(after.host.pid).not.toBe(before);
    expect(restarted.stdout).toContain(`running in process ${after.host.pid}`);
    // A fresh process: the count the module kept in memory starts again.
    expect(json<{ result: Hit }>(await cli("call", ID, "hit", "--json")).result).toEqual({
      pid: after.host.pid,
      count: 1,
    });
  });

  it("an error from the host keeps its code, message and exit status, as the same command offline gives", async () => {
    await startHost();
    const ID = ON_HOST.errors;
    for (const args of [
      ["call", "nosuch", "hit"],
      ["info", "nosuch"],
      ["call", ID, "nosuchmethod"],
    ]) {
      const live = await cli(...args);
      const offline = await cli("--offline", ...args);
      expect(live.code, args.join(" ")).toBe(1);
      expect(offline.code, args.join(" ")).toBe(1);
      const code = /^(CHIP_ERR_[A-Z_]+):/.exec(live.stderr)?.[1];
      expect(code, live.stderr).toBe(/^(CHIP_ERR_[A-Z_]+):/.exec(offline.stderr)?.[1]);
    }
    const unknown = await cli("restart", "nosuch", "--json");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^CHIP_ERR_MODULE_NOT_FOUND: /);
    expect(json<{ error: { code: string } }>(unknown).error.code).toBe("CHIP_ERR_MODULE_NOT_FOUND");
  });

  it("--offline works in this process and leaves the host's instance alone", async () => {
    await startHost();
    const ID = ON_HOST.offline;
    const hostPid = (await onHost(ID)).instance!.host.pid;
    const offline = await cli("--offline", "call", ID, "hit", "--json");
    expect(offline.code).toBe(0);
    const result = json<{ result: Hit }>(offline).result;
    expect(result.count).toBe(1);
    expect(result.pid).not.toBe(hostPid);
    const offlineList = json<Listed[]>(await cli("--offline", "ls", "--json"));
    expect(offlineList.find((m) => m.id === ID)).not.toHaveProperty("instance");
    expect((await onHost(ID)).instance).toMatchObject({ calls: 0, host: { pid: hostPid } });
    const control = await cli("--offline", "stop", ID);
    expect(control.code).toBe(2);
    expect(control.stderr).toMatch(
      new RegExp(`^CHIP_ERR_CLI_USAGE: \`stop ${ID}\` acts on the running host`),
    );
  });
});

describe("--host URL", () => {
  it("sends the token of --token-file or $CHIPSET_TOKEN; a wrong one is CHIP_ERR_UNAUTHORIZED and does nothing", async () => {
    const { url, token, dir } = await startHost();
    const ID = ON_HOST.token;
    // Another data directory: no host.json there, only --host leads to the host.
    const elsewhere = ["--data-dir", join(dir, "elsewhere-token"), "--host", url];
    const wrong = await chipset([...elsewhere, "stop", ID], {
      cwd: dir,
      env: { ...process.env, CHIPSET_TOKEN: "not-the-token-0123456789" },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^CHIP_ERR_UNAUTHORIZED: /);
    expect((await onHost(ID)).state).toBe("running");

    const fromEnv = await chipset([...elsewhere, "ls", "--json"], {
      cwd: dir,
      env: { ...process.env, CHIPSET_TOKEN: token },
    });
    // A state only the host knows: the listing came from it.
    expect(json<Listed[]>(fromEnv).find((m) => m.id === ID)?.state).toBe("running");
    await writeFile(join(dir, "token-file"), `${token}\n`);
    const fromFile = await chipset([...elsewhere, "--token-file", "token-file", "call", ID, "hit"], {
      cwd: dir,
    });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toContain('"count": 1');
  });

  it("update goes through the API of the host --host names, and reports where it ran", async () => {
    const { url, token, dir } = await startHost();
    const ID = ON_HOST.update;
    const v2 = await writeModule(join(dir, "v2"), {
      name: ID,
      version: "1.1.0",
      chipset: { kind: "demo", isolation: "process", activation: "eager" },
      code: `import { defineModule } from "chipset/module";
export const module = defineModule({ api: { hit() { return { pid: process.pid, count: 0 }; } } });`,
    });
    await writeFile(join(dir, "token-update"), token);
    const updated = await chipset(
      [
        "--data-dir",
        join(dir, "elsewhere-update"),
        "--host",
        url,
        "--token-file",
        "token-update",
        "update",
        ID,
        "--from",
        v2,
        "--grace",
        "0",
        "--json",
      ],
      { cwd: dir },
    );
    expect(updated.code, updated.stderr).toBe(0);
    expect(json<{ outcome: string; to: string; host: string }>(updated)).toMatchObject({
      outcome: "completed",
      to: "1.1.0",
      host: url,
    });
    expect(
      json<Listed[]>(await cli("ls", "--json")).find((m) => m.id === ID && m.state === "running"),
    ).toMatchObject({
      id: ID,
      version: "1.1.0",
    });
  });
});

describe("without a live host", () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace(["counter"]);
  });
  afterEach(() => ws.cleanup());
  const dataDir = () => ws.data;
  const cliHere = (...args: string[]) => cliIn(ws, ...args);

  it("a stale host.json (its pid is dead) is ignored: queries run here, and control commands say no host runs", async () => {
    await mkdir(dataDir(), { recursive: true });
    const deadPid = spawnSync(process.execPath, ["-e", "0"]).pid; // ended: its pid names no live process
    await writeFile(
      join(dataDir(), "host.json"),
      JSON.stringify({
        url: `http://127.0.0.1:${await closedPort()}`,
        pid: deadPid,
        token: "old",
        startedAt: "",
      }),
    );
    const call = await cliHere("call", "counter", "hit", "--json");
    expect(json<{ result: Hit }>(call).result.count).toBe(1);
    const listed = await cliHere("ls");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^counter\s+1\.0\.0\s+demo\s+registered/m);

    const stop = await cliHere("stop", "counter");
    expect(stop.code).toBe(1);
    expect(stop.stderr).toMatch(
      /^CHIP_ERR_HOST_NOT_RUNNING: `stop counter` acts on the running host, and none serves /,
    );
    expect(stop.stderr).toContain("chipset start");
  });

  it("a host.json naming a live process whose API does not answer is CHIP_ERR_HOST_UNREACHABLE, pointing to --offline", async () => {
    await mkdir(dataDir(), { recursive: true });
    // This test's own process is alive, and no API listens on the port.
    const port = await closedPort();
    await writeFile(
      join(dataDir(), "host.json"),
      JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid, token: "t", startedAt: "" }),
    );
    const listed = await cliHere("ls");
    expect(listed.code).toBe(1);
    expect(listed.stderr).toMatch(
      /^CHIP_ERR_HOST_UNREACHABLE: the host .*host\.json names \(pid \d+\) does not answer/,
    );
    expect(listed.stderr).toContain("--offline");
    expect((await cliHere("--offline", "ls")).code).toBe(0);
  });

  it("chipset start <ref> with no host says to start one, and does not start a host itself", async () => {
    const result = await cliHere("start", "counter");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^CHIP_ERR_HOST_NOT_RUNNING: /);
    expect(result.stdout).toBe("");
  });
});
