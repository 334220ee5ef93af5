import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chipset, collect, FREE_PORT, spawnCli, tempDir, waitForOutput, writeModule } from "./harness.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
let child: ChildProcess | undefined;
const data = () => join(tmp.dir, "data");
const hostFile = () => join(data(), "host.json");

interface HostFile {
  url: string;
  pid: number;
  token: string;
  startedAt: string;
}

beforeEach(async () => {
  tmp = await tempDir("host-api");
  await writeModule(join(tmp.dir, "modules"), {
    name: "greeter",
    version: "1.0.0",
    chipset: { kind: "service", activation: "eager" },
    code: `import { defineModule } from "chipset/module";
export const module = defineModule({ api: { greet: (name) => "hello " + name } });`,
  });
  await writeFile(join(tmp.dir, "chipset.config.json"), JSON.stringify({ moduleDirs: ["./modules"] }));
});
afterEach(async () => {
  if (child?.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
  await tmp.cleanup();
});

/** Starts a host in the background and resolves with its host.json once it runs. */
async function startHost(extra: readonly string[] = FREE_PORT): Promise<{ host: HostFile; boot: string }> {
  child = spawnCli(["--data-dir", data(), "start", ...extra], { cwd: tmp.dir });
  const boot = await waitForOutput(child, /chipset is running/);
  return { host: JSON.parse(readFileSync(hostFile(), "utf8")) as HostFile, boot };
}

describe("chipset start serves the HTTP API", () => {
  it("writes host.json (0600) naming its URL, pid and token, serves the API with it, and removes it on Ctrl-C", async () => {
    const { host, boot } = await startHost();
    expect(host.pid).toBe(child!.pid);
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(host.startedAt)).not.toBeNaN();
    expect(statSync(hostFile()).mode & 0o777).toBe(0o600);
    expect(boot).toContain(`HTTP API at ${host.url}`);

    const auth = { authorization: `Bearer ${host.token}` };
    const modules = await fetch(`${host.url}/v1/modules/greeter`, { headers: auth });
    expect(await modules.json()).toMatchObject({
      id: "greeter",
      state: "running",
      instances: [{ host: { pid: host.pid } }],
    });
    const call = await fetch(`${host.url}/v1/modules/greeter/calls/greet`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ args: ["http"] }),
    });
    expect(await call.json()).toEqual({ result: "hello http" });
    expect((await fetch(`${host.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${host.url}/v1/modules`)).status).toBe(401);

    const done = collect(child!);
    child!.kill("SIGINT");
    const result = await done;
    expect(result.code).toBe(0);
    expect(existsSync(hostFile())).toBe(false);
    await expect(fetch(`${host.url}/livez`)).rejects.toThrow();
  });

  it("replaces a stale host.json left by a host that died", async () => {
    await mkdir(data(), { recursive: true });
    const deadPid = spawnSync(process.execPath, ["-e", "0"]).pid; // ended: its pid names no live process
    await writeFile(
      hostFile(),
      JSON.stringify({
        url: "http://127.0.0.1:1",
        pid: deadPid,
        token: "old",
        startedAt: new Date(0).toISOString(),
      }),
    );
    const { host } = await startHost();
    expect(host.pid).toBe(child!.pid);
    expect(host.token).not.toBe("old");
  });

  it("refuses to start a second host on a data directory a live host serves (CHIP_ERR_HOST_RUNNING)", async () => {
    const { host } = await startHost();
    const second = await chipset(["--data-dir", data(), "start", ...FREE_PORT], { cwd: tmp.dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("CHIP_ERR_HOST_RUNNING");
    expect(second.stderr).toContain(`pid ${host.pid}`);
    expect(JSON.parse(readFileSync(hostFile(), "utf8"))).toEqual(host);
  });

  it("refuses an address other machines reach without --token-file (CHIP_ERR_CLI_USAGE, exit 2), and serves it with one", async () => {
    const refused = await chipset(["--data-dir", data(), "start", "--http", "0.0.0.0:0"], { cwd: tmp.dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("CHIP_ERR_CLI_USAGE");
    expect(refused.stderr).toContain("--token-file");
    expect(existsSync(hostFile())).toBe(false);

    await writeFile(join(tmp.dir, "token"), "operator-chosen-token-0123456789\n");
    const { host } = await startHost(["--http", "0.0.0.0:0", "--token-file", "token"]);
    expect(host.token).toBe("operator-chosen-token-0123456789");
    const port = new URL(host.url).port;
    const res = await fetch(`http://127.0.0.1:${port}/v1/modules`, {
      headers: { authorization: "Bearer operator-chosen-token-0123456789" },
    });
    expect(res.status).toBe(200);
  });

  it("fails with CHIP_ERR_LISTEN_FAILED when the port is taken, and leaves no host.json", async () => {
    const { host } = await startHost();
    const other = join(tmp.dir, "other");
    const taken = await chipset(["--data-dir", other, "start", "--http", new URL(host.url).host], {
      cwd: tmp.dir,
    });
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain("CHIP_ERR_LISTEN_FAILED");
    expect(existsSync(join(other, "host.json"))).toBe(false);
  });
});
