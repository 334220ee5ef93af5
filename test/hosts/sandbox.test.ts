import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { removeStaleCgroups } from "../../src/hosts/isolated/cgroup.js";
import { sandboxFeatures } from "../../src/hosts/sandboxFeatures.js";
import type { Runtime } from "../../src/index.js";
import type { ChipsetManifest } from "../../src/vocabulary/manifest.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { deadline, hostHarness } from "./harness.js";

// What this machine allows is what runs: on root Linux with cgroup v1 (this project's CI), all of it.
const report = sandboxFeatures().report;
const h = runtimeHarness();
const hosts = hostHarness();

const probe = `import { execFile } from "node:child_process";
  import net from "node:net";
  // Asynchronous, so that its heartbeats go on while the script runs.
  const sh = (script, ...args) => new Promise((resolve) =>
    execFile("/bin/sh", ["-c", "exec 2>&1; " + script, "sh", ...args], { encoding: "utf8" }, (e, stdout) => resolve(stdout.trim())));
  const connect = (port) => new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => { socket.end(); resolve("connected"); });
    socket.on("error", (e) => resolve(e.code));
  });
  let accepted = 0;
  export const module = defineModule({ api: {
    uid() { return process.getuid(); },
    sh,
    connect,
    async listen() {
      const server = net.createServer((s) => { accepted++; s.end(); });
      await new Promise((resolve) => server.listen(0, "0.0.0.0", resolve));
      const port = server.address().port;
      return { port, self: await connect(port) };
    },
    accepted() { return accepted; },
  } });`;

/** Adds a module with `chipset` (process isolation) from `code` to the store and opens a runtime. */
function sandboxed(chipset: Partial<ChipsetManifest>, code = probe): { rt: Runtime; dir: string } {
  h.ws.module({ name: "probe", chipset: { isolation: "process", ...chipset }, code });
  // The operator's ceiling lets the probe start the child processes it checks with.
  const configFile = join(h.ws.root, "ceiling.json");
  writeFileSync(configFile, JSON.stringify({ permissions: { default: { childProcess: true } } }));
  const rt = h.open({ moduleDirs: [], configFile, hosts: { pool: { worker: 0, process: 0 } } });
  const { record } = rt.add(join(h.ws.modulesDir, "probe-1.0.0"));
  return { rt, dir: resolve(h.ws.dataDir, record.dir!) };
}

describe("a sandboxed process module (process isolation with permissions)", () => {
  it.runIf(report.unprivilegedUser.available)(
    "runs as an unprivileged user: what it starts cannot write its own store directory nor open chipset.db, its -wal or -shm",
    async () => {
      const { rt, dir } = sandboxed({ permissions: { childProcess: true } });
      expect(await rt.call("probe", "uid")).toBe(65534);
      // A child process is outside Node's permission model: only the kernel stands in its way.
      const touched = await rt.call("probe", "sh", ['id -u; touch "$1/intruder"', dir]);
      expect(touched).toMatch(/^65534\n.*Permission denied/);
      expect(existsSync(join(dir, "intruder"))).toBe(false);
      for (const file of ["chipset.db", "chipset.db-wal", "chipset.db-shm"]) {
        const path = join(h.ws.dataDir, file);
        expect(statSync(path).mode & 0o777).toBe(0o600);
        expect(await rt.call("probe", "sh", ['head -c 1 "$1" >/dev/null', path])).toMatch(
          /Permission denied/,
        );
      }
    },
  );

  it.runIf(report.networkNamespace.available)(
    "has no network unless granted: it listens on 0.0.0.0 for itself alone, and cannot reach a server on the host's loopback",
    async () => {
      const server = await hostServer();
      const { rt } = sandboxed({ permissions: {} });
      const { port, self } = (await rt.call("probe", "listen")) as { port: number; self: string };
      expect(self).toBe("connected");
      expect(await rt.call("probe", "connect", [server.port])).toBe("ECONNREFUSED");
      expect(server.accepted).toBe(0);
      // Its port is not the host's: whatever answers there (most likely nothing), it is not the module.
      await new Promise<void>((resolve) => {
        const socket = connect(port, "127.0.0.1", () => socket.end(resolve));
        socket.on("error", () => resolve());
      });
      expect(await rt.call("probe", "accepted")).toBe(1);
    },
  );

  it("reaches the host's network when its manifest grants net", async () => {
    const server = await hostServer();
    const { rt } = sandboxed({ permissions: { net: true } });
    expect(await rt.call("probe", "connect", [server.port])).toBe("connected");
    await vi.waitFor(() => expect(server.accepted).toBe(1));
  });

  it.runIf(report.cgroupMemory.available)(
    "is killed by the kernel at limits.memoryMb, reported as a memory-limit crash, even while its event loop is busy",
    async () => {
      // Buffers are outside the V8 heap; the loop never yields, so no heartbeat, no reading from outside.
      const hog = `export const module = defineModule({ api: {
        hog() { const kept = []; for (let i = 0; i < 1024; i++) kept.push(Buffer.alloc(1024 * 1024, 1)); return kept.length; },
      } });`;
      const { rt } = sandboxed({ permissions: {}, limits: { memoryMb: 96 } }, hog);
      const crashed = new Promise((resolve) => rt.on("module.crashed", resolve));
      const err = await rt.call("probe", "hog").catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "CHIP_ERR_MODULE_CRASHED", details: { kind: "memory-limit" } });
      expect((err as Error).message).toMatch(
        /the kernel killed its process at the memory limit of its cgroup/,
      );
      await crashed;
    },
  );

  it.runIf(report.cgroupPids.available)(
    "cannot start more processes and threads than its pids limit, and all it started ends with it",
    async () => {
      const { rt } = sandboxed({ permissions: { childProcess: true }, limits: { pids: 64 } });
      await rt.start("probe");
      const pid = rt.queries.info("probe").instance!.host.pid;
      const cgroup = pidsCgroup(pid);
      // Before anything is started: the module is in a cgroup of its own, with the limit.
      expect(readFileSync(join(cgroup, "pids.max"), "utf8").trim()).toBe("64");
      // 500 sleeping processes, started in the background, each in a session of its own (setsid).
      const started = rt.call("probe", "sh", [
        "i=0; while [ $i -lt 500 ]; do setsid sleep 600 >/dev/null 2>&1 & i=$((i+1)); done; echo done",
      ]);
      expect(await started).toMatch(/Cannot fork|Resource temporarily unavailable/);
      const current = Number(readFileSync(join(cgroup, "pids.current"), "utf8"));
      expect(current).toBeLessThanOrEqual(64);
      expect(current).toBeGreaterThan(20);
      await rt.close();
      // Ending the host killed every process of its cgroup, setsid or not, and removed the cgroup.
      expect(existsSync(cgroup)).toBe(false);
    },
  );
});

describe("a sandboxed process module with limits.cpuPercent", () => {
  it.runIf(report.cgroupCpu.available)(
    "gets that share of a CPU from the kernel: a second of busy looping is charged a fifth of a second at 20%",
    async () => {
      const burner = `export const module = defineModule({ api: {
        burn(ms) {
          const start = process.cpuUsage(); const end = Date.now() + ms; let x = 0;
          while (Date.now() < end) x += Math.sqrt(x + 1);
          const used = process.cpuUsage(start); return (used.user + used.system) / 1000;
        },
      } });`;
      const { rt } = sandboxed({ permissions: {}, limits: { cpuPercent: 20 } }, burner);
      await rt.start("probe");
      const cgroup = cgroupOf(rt.queries.info("probe").instance!.host.pid, "cpu");
      const quota = existsSync(join(cgroup, "cpu.max"))
        ? readFileSync(join(cgroup, "cpu.max"), "utf8").trim()
        : `${readFileSync(join(cgroup, "cpu.cfs_quota_us"), "utf8").trim()} ${readFileSync(join(cgroup, "cpu.cfs_period_us"), "utf8").trim()}`;
      expect(quota).toBe("20000 100000");
      // Unthrottled it would be charged about 1000 ms; the quota allows 20 ms in each 100 ms.
      const cpuMs = (await rt.call("probe", "burn", [1000])) as number;
      expect(cpuMs).toBeLessThan(450);
      expect(cpuMs).toBeGreaterThan(50);
    },
  );
});

describe("a sandboxed module whose files its user cannot reach", () => {
  it.runIf(report.unprivilegedUser.available)(
    "does not start: CHIP_ERR_HOST_START_FAILED names the directory, its mode and what to do",
    async () => {
      chmodSync(hosts.ws.root, 0o700);
      const { host } = hosts.host("process", "export const module = defineModule({ api: {} });", {
        permissions: { fsRead: [], fsWrite: [], childProcess: false, worker: false, env: [] },
      });
      await expect(host.load(deadline())).rejects.toMatchObject({
        code: "CHIP_ERR_HOST_START_FAILED",
        message: expect.stringContaining(
          `${hosts.ws.root} is mode 0700 and must allow others to pass through (chmod o+x)`,
        ) as string,
      });
    },
  );
});

describe("a process module without permissions", () => {
  it("runs as the runtime's user, with the runtime's network, in the runtime's cgroups", async () => {
    const server = await hostServer();
    const { rt } = sandboxed({});
    expect(await rt.call("probe", "uid")).toBe(process.getuid!());
    expect(await rt.call("probe", "connect", [server.port])).toBe("connected");
    const pid = rt.queries.info("probe").instance!.host.pid;
    expect(readFileSync(`/proc/${pid}/cgroup`, "utf8")).toBe(readFileSync("/proc/self/cgroup", "utf8"));
  });
});

describe("a process module's memory limit", () => {
  it("is checked against its resident memory as the kernel counts it, not as the module reports it", async () => {
    const liar = `export const module = defineModule({ api: {
      async grow() {
        const lie = () => ({ rss: 1, heapTotal: 1, heapUsed: 1, external: 0, arrayBuffers: 0 });
        lie.rss = () => 1;
        process.memoryUsage = lie;
        const kept = [];
        // 8 MiB at a time, yielding between, so that heartbeats keep coming with the lie.
        for (let i = 0; i < 96; i++) { kept.push(Buffer.alloc(8 * 1024 * 1024, 1)); await new Promise((r) => setTimeout(r, 10)); }
        return kept.length;
      },
    } });`;
    const { host, crashed } = await hosts.started("process", liar, { memoryMb: 128 });
    const answer = host.call("grow", []).catch((err: unknown) => err);
    const crash = await crashed;
    expect(crash.kind).toBe("memory-limit");
    expect(crash.error.message).toMatch(/its process used [\d.]+ MiB of memory, above its limit of 128 MiB/);
    expect(await answer).toMatchObject({ code: "CHIP_ERR_MODULE_CRASHED" });
  });
});

describe("cgroups left by runtimes that died", () => {
  it.runIf(report.cgroupPids.available)("are removed; those of live runtimes stay", () => {
    const parent = sandboxFeatures().cgroups!.dirs.pids!;
    const dead = Number(execFileSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]));
    const stale = join(parent, `${dead}-1`);
    const live = join(parent, `${process.pid}-999999`);
    mkdirSync(stale);
    mkdirSync(live);
    try {
      removeStaleCgroups(parent);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      for (const dir of [stale, live]) if (existsSync(dir)) rmdirSync(dir);
    }
  });
});

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
});

/** A TCP server on the host's 127.0.0.1 that counts the connections it accepted. */
async function hostServer(): Promise<{ port: number; readonly accepted: number }> {
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    socket.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    get accepted() {
      return accepted;
    },
  };
}

/** The directory of the pids cgroup process `pid` is in (cgroup v1 or v2). */
function pidsCgroup(pid: number): string {
  return cgroupOf(pid, "pids");
}

/** The directory of the `controller` cgroup process `pid` is in (cgroup v1 or v2). */
function cgroupOf(pid: number, controller: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n");
  const v1 = lines.find((l) => l.split(":")[1]?.split(",").includes(controller));
  if (v1 !== undefined) return join("/sys/fs/cgroup", controller, v1.split(":").slice(2).join(":"));
  return join("/sys/fs/cgroup", lines.find((l) => l.startsWith("0::"))!.slice(3));
}
