import { spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  chipset,
  closedPort,
  FREE_PORT,
  json,
  spawnCli,
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

let tmp: { dir: string; cleanup: () => Promise<void> };
let host: ChildProcess | undefined;
const dataDir = () => join(tmp.dir, "data");
const data = () => ["--data-dir", dataDir()];
const cli = (...args: string[]) => chipset([...data(), ...args], { cwd: tmp.dir });

beforeEach(async () => {
  tmp = await tempDir("live-host");
  // A process module that counts its calls in memory and says which process answers.
  await writeModule(join(tmp.dir, "modules"), {
    name: "counter",
    version: "1.0.0",
    chipset: { kind: "demo", isolation: "process", activation: "eager" },
    code: `import { defineModule } from "chipset/module";
let count = 0;
export const module = defineModule({ api: { hit() { count++; return { pid: process.pid, count }; } } });`,
  });
  await writeFile(join(tmp.dir, "chipset.config.json"), JSON.stringify({ moduleDirs: ["./modules"] }));
});
afterEach(async () => {
  if (host?.exitCode === null && host.signalCode === null) host.kill("SIGKILL");
  host = undefined;
  await tmp.cleanup();
});

/** Starts a host on the data directory and resolves with its host.json once it runs. */
async function startHost(): Promise<HostFile> {
  host = spawnCli([...data(), "start", ...FREE_PORT], { cwd: tmp.dir });
  await waitForOutput(host, /chipset is running/);
  return JSON.parse(readFileSync(join(dataDir(), "host.json"), "utf8")) as HostFile;
}

async function counterOnHost(): Promise<Listed> {
  const listed = await cli("ls", "--json");
  expect(listed.code).toBe(0);
  return json<Listed[]>(listed).find((m) => m.id === "counter")!;
}

describe("with a host running, the CLI goes through its API", () => {
  it("ls shows the state and pid of the process the host runs a module in, and call is answered by that same instance", async () => {
    const hostFile = await startHost();
    const counter = await counterOnHost();
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
        `^counter\\s+1\\.0\\.0\\s+running\\s+process\\s+${pid}\\s+-\\s+0\\s+0\\s+(?:[\\d.]+%|-)\\s+(?:[\\d.]+ [KMGT]?B|-)\\s+\\d+[smhd]$`,
        "m",
      ),
    );

    // The count in the module's memory goes on from one command to the next: the host's instance answers.
    const first = await cli("call", "counter", "hit", "--json");
    const second = await cli("call", "counter", "hit", "--json");
    expect(json<{ result: Hit }>(first).result).toEqual({ pid, count: 1 });
    expect(json<{ result: Hit }>(second).result).toEqual({ pid, count: 2 });

    const info = await cli("info", "counter");
    expect(info.stdout).toMatch(new RegExp(`^\\s+host\\s+process \\(pid ${pid}\\)$`, "m"));
    expect(info.stdout).toMatch(/^\s+calls\s+2$/m);
    expect(info.stdout).toMatch(/^\s+uptime\s+\d+[smhd]$/m);
    expect(info.stdout).toMatch(/^\s+restarts\s+0 since the host started$/m);
    const detail = json<{ instances: Array<{ host: { pid: number }; calls: number }>; breakers: unknown[] }>(
      await cli("info", "counter", "--json"),
    );
    expect(detail.instances).toHaveLength(1);
    expect(detail.instances[0]).toMatchObject({ host: { pid }, calls: 2 });
    expect(detail.breakers).toEqual([]);
  });

  it("stop, start and restart <ref> change the state the host reports, and restart runs the module in a new process", async () => {
    await startHost();
    const before = (await counterOnHost()).instance!.host.pid;
    await cli("call", "counter", "hit");

    const stopped = await cli("stop", "counter");
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/^stop counter@1\.0\.0 on the host \(pid \d+\): stopped/);
    expect((await counterOnHost()).state).toBe("stopped");

    const started = await cli("start", "counter", "--json");
    expect(json<{ action: string; state: string }>(started)).toMatchObject({
      action: "start",
      state: "running",
    });
    expect((await counterOnHost()).state).toBe("running");

    const restarted = await cli("restart", "counter");
    expect(restarted.code).toBe(0);
    const after = (await counterOnHost()).instance!;
    expect(after.state).toBe("running");
    expect(after.host.pid).not.toBe(before);
    expect(restarted.stdout).toContain(`running in process ${after.host.pid}`);
    // A fresh process: the count the module kept in memory starts again.
    expect(json<{ result: Hit }>(await cli("call", "counter", "hit", "--json")).result).toEqual({
      pid: after.host.pid,
      count: 1,
    });
  });

  it("an error from the host keeps its code, message and exit status, as the same command offline gives", async () => {
    await startHost();
    for (const args of [
      ["call", "nosuch", "hit"],
      ["info", "nosuch"],
      ["call", "counter", "nosuchmethod"],
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
    const onHost = (await counterOnHost()).instance!.host.pid;
    const offline = await cli("--offline", "call", "counter", "hit", "--json");
    expect(offline.code).toBe(0);
    const result = json<{ result: Hit }>(offline).result;
    expect(result.count).toBe(1);
    expect(result.pid).not.toBe(onHost);
    expect(json<Listed[]>(await cli("--offline", "ls", "--json"))[0]).not.toHaveProperty("instance");
    expect((await counterOnHost()).instance).toMatchObject({ calls: 0, host: { pid: onHost } });
    const control = await cli("--offline", "stop", "counter");
    expect(control.code).toBe(2);
    expect(control.stderr).toMatch(/^CHIP_ERR_CLI_USAGE: `stop counter` acts on the running host/);
  });
});

describe("--host URL", () => {
  it("sends the token of --token-file or $CHIPSET_TOKEN; a wrong one is CHIP_ERR_UNAUTHORIZED and does nothing", async () => {
    const { url, token } = await startHost();
    // Another data directory: no host.json there, only --host leads to the host.
    const elsewhere = ["--data-dir", join(tmp.dir, "elsewhere"), "--host", url];
    const wrong = await chipset([...elsewhere, "stop", "counter"], {
      cwd: tmp.dir,
      env: { ...process.env, CHIPSET_TOKEN: "not-the-token-0123456789" },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^CHIP_ERR_UNAUTHORIZED: /);
    expect((await counterOnHost()).state).toBe("running");

    const fromEnv = await chipset([...elsewhere, "ls", "--json"], {
      cwd: tmp.dir,
      env: { ...process.env, CHIPSET_TOKEN: token },
    });
    expect(json<Listed[]>(fromEnv).map((m) => m.state)).toEqual(["running"]);
    await writeFile(join(tmp.dir, "token"), `${token}\n`);
    const fromFile = await chipset([...elsewhere, "--token-file", "token", "call", "counter", "hit"], {
      cwd: tmp.dir,
    });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toContain('"count": 1');
  });

  it("update goes through the API of the host --host names, and reports where it ran", async () => {
    const { url, token } = await startHost();
    const v2 = await writeModule(join(tmp.dir, "v2"), {
      name: "counter",
      version: "1.1.0",
      chipset: { kind: "demo", isolation: "process", activation: "eager" },
      code: `import { defineModule } from "chipset/module";
export const module = defineModule({ api: { hit() { return { pid: process.pid, count: 0 }; } } });`,
    });
    await writeFile(join(tmp.dir, "token"), token);
    const updated = await chipset(
      [
        "--data-dir",
        join(tmp.dir, "elsewhere"),
        "--host",
        url,
        "--token-file",
        "token",
        "update",
        "counter",
        "--from",
        v2,
        "--grace",
        "0",
        "--json",
      ],
      { cwd: tmp.dir },
    );
    expect(updated.code, updated.stderr).toBe(0);
    expect(json<{ outcome: string; to: string; host: string }>(updated)).toMatchObject({
      outcome: "completed",
      to: "1.1.0",
      host: url,
    });
    expect(json<Listed[]>(await cli("ls", "--json")).find((m) => m.state === "running")).toMatchObject({
      id: "counter",
      version: "1.1.0",
    });
  });
});

describe("without a live host", () => {
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
    const call = await cli("call", "counter", "hit", "--json");
    expect(json<{ result: Hit }>(call).result.count).toBe(1);
    const listed = await cli("ls");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^counter\s+1\.0\.0\s+demo\s+registered/m);

    const stop = await cli("stop", "counter");
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
    const listed = await cli("ls");
    expect(listed.code).toBe(1);
    expect(listed.stderr).toMatch(
      /^CHIP_ERR_HOST_UNREACHABLE: the host .*host\.json names \(pid \d+\) does not answer/,
    );
    expect(listed.stderr).toContain("--offline");
    expect((await cli("--offline", "ls")).code).toBe(0);
  });

  it("chipset start <ref> with no host says to start one, and does not start a host itself", async () => {
    const result = await cli("start", "counter");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^CHIP_ERR_HOST_NOT_RUNNING: /);
    expect(result.stdout).toBe("");
  });
});
