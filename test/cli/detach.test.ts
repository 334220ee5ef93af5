// `chipset start --detach` runs the host in the background and returns once it is ready;
// `chipset shutdown` stops it gracefully (POST /v1/shutdown) and waits until it has exited.
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readHostFile } from "../../src/server/hostFile.js";
import { chipset, FREE_PORT, tempDir, writeModule } from "./harness.js";

/** Every host pid a test saw: killed (with their process group) if still alive afterwards. */
const hosts = new Set<number>();
const cleanups: Array<() => Promise<void>> = [];

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
};

/** A module that says in its log when its stop hook runs. */
const stopper = `import { defineModule } from "chipset/module";
export const module = defineModule({
  start(ctx) { ctx.log.info("up"); },
  stop(ctx) { ctx.log.info("stop hook ran"); },
  api: {},
});
`;

/** A fresh application (two eager modules, worker and process) and the CLI on its data directory. */
async function application() {
  const tmp = await tempDir("detach");
  cleanups.push(tmp.cleanup);
  const data = join(tmp.dir, "data");
  for (const isolation of ["worker", "process"])
    await writeModule(join(tmp.dir, "modules"), {
      name: `stopper-${isolation}`,
      version: "1.0.0",
      chipset: { kind: "tool", isolation, activation: "eager" },
      code: stopper,
    });
  await writeFile(join(tmp.dir, "chipset.config.json"), JSON.stringify({ moduleDirs: ["./modules"] }));
  const cli = (...args: string[]) => chipset(["--data-dir", data, ...args], { cwd: tmp.dir });
  const startDetached = async () => {
    const result = await cli("start", "--detach", ...FREE_PORT);
    const pid = Number(/\(pid (\d+)\)/.exec(result.stdout)?.[1]);
    if (pid > 0) hosts.add(pid);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const file = readHostFile(data)!;
    expect(file.pid).toBe(pid);
    expect(result.stdout).toContain(`HTTP API at ${file.url}`);
    return file;
  };
  return { data, cli, startDetached };
}

afterAll(async () => {
  for (const pid of hosts) {
    try {
      if (alive(pid)) process.kill(-pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

describe.concurrent("chipset start --detach and chipset shutdown", () => {
  it("starts a host that answers the API after the command returned, refuses a second one, and shutdown stops its modules and removes host.json", async () => {
    const { data, cli, startDetached } = await application();
    const host = await startDetached();
    const livez = await fetch(`${host.url}/livez`);
    expect(livez.status).toBe(200);
    const modules = await fetch(`${host.url}/v1/modules`, {
      headers: { authorization: `Bearer ${host.token}` },
    });
    expect(
      ((await modules.json()) as { modules: Array<{ state: string }> }).modules.map((m) => m.state),
    ).toEqual(["running", "running"]);
    // The shutdown route needs the token like every route but the probes.
    expect((await fetch(`${host.url}/v1/shutdown`, { method: "POST" })).status).toBe(401);
    expect(alive(host.pid)).toBe(true);

    const second = await cli("start", "--detach", ...FREE_PORT);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`^CHIP_ERR_HOST_RUNNING: a host already serves .* \\(pid ${host.pid}, .*chipset shutdown`),
    );
    expect(readHostFile(data)?.pid).toBe(host.pid);

    const stopped = await cli("shutdown");
    expect(stopped.stderr).toBe("");
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(
      new RegExp(`^stopped the host \\(pid ${host.pid}, .*\\) in [\\d.]+ m?s\\n$`),
    );
    expect(alive(host.pid)).toBe(false);
    expect(existsSync(join(data, "host.json"))).toBe(false);

    const logs = await cli("logs");
    expect(logs.stdout).toMatch(/info {2}stopper-worker@1\.0\.0: stop hook ran/);
    expect(logs.stdout).toMatch(/info {2}stopper-process@1\.0\.0: stop hook ran/);
    const output = readFileSync(join(data, "logs", "host.log"), "utf8");
    expect(output).toMatch(/shutdown requested: stopping/);
    expect(output).toMatch(/stopped in .*: stopper-/);

    const again = await cli("shutdown");
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`no host is running on ${data}\n`);
  });

  it("fails with the host's own error and where its output is when the host cannot start", async () => {
    const { data, cli } = await application();
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const result = await cli("start", "--detach", "--http", `127.0.0.1:${port}`);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^CHIP_ERR_DETACH_FAILED: the host exited \(status 1\) before it was ready; see .*host\.log/,
      );
      expect(result.stderr).toMatch(
        /CHIP_ERR_LISTEN_FAILED: the host's HTTP API cannot listen on 127\.0\.0\.1/,
      );
      expect(existsSync(join(data, "host.json"))).toBe(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("lets two shutdowns at once both return once the host has exited", async () => {
    const { data, cli, startDetached } = await application();
    const host = await startDetached();
    const [first, second] = await Promise.all([cli("shutdown"), cli("shutdown", "--json")]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(alive(host.pid)).toBe(false);
    expect(existsSync(join(data, "host.json"))).toBe(false);
    expect(first.stdout).toMatch(/stopped the host|no host is running/);
    expect(JSON.parse(second.stdout)).toEqual(
      expect.objectContaining({ running: expect.any(Boolean) as unknown }),
    );
  });
});
