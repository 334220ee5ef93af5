import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { ErrorCodes } from "../../src/errors/codes.js";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A fixture `/` whose cgroup allows `cpuMax` and has used up its `pids.max` when `full`. */
function fixtureRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "chipset-env-root-"));
  roots.push(root);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), content);
  }
  return root;
}

const cgroup = (cpuMax: string, memoryMax: string, pids = ""): Record<string, string> => ({
  "/proc/self/cgroup": "0::/app\n",
  "/sys/fs/cgroup/cgroup.controllers": "cpu memory pids\n",
  "/sys/fs/cgroup/app/cpu.max": cpuMax,
  "/sys/fs/cgroup/app/memory.max": memoryMax,
  ...(pids === "" ? {} : { "/sys/fs/cgroup/app/pids.max": pids, "/sys/fs/cgroup/app/pids.current": pids }),
});

/** A logger whose records are kept in `lines`. */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: "warn" }, stream), lines };
}

describe("runtime.environment()", () => {
  it("reports what the runtime runs on, and adapts its defaults to the cgroup's limits", () => {
    const root = fixtureRoot(cgroup("50000 100000\n", `${256 * 1024 * 1024}\n`));
    const rt = h.open({ environment: { root, env: { GITHUB_ACTIONS: "true" } } });
    const report = rt.environment();
    expect(report.verdicts.ci).toMatchObject({ value: "github-actions", detected: true });
    expect(report.capabilities.cpu.cgroupCpus).toBe(0.5);
    expect(report.defaults.poolProcess).toMatchObject({ value: 0, source: "adapted" });
    expect(report.defaults.memoryMb).toMatchObject({ value: 128, source: "adapted" });
    expect(report.defaults.replicasMax).toMatchObject({ value: 1, why: "cgroup cpu.max allows 0.5 CPUs" });
  });

  it("keeps what the options set: explicit pool sizes and memory limit win", () => {
    const root = fixtureRoot(cgroup("50000 100000\n", `${256 * 1024 * 1024}\n`));
    const rt = h.open({
      environment: { root, env: {} },
      hosts: { pool: { worker: 0, process: 2 } },
      resources: { limits: { memoryMb: 300 } },
    });
    const { defaults } = rt.environment();
    expect(defaults.poolWorker).toMatchObject({ value: 0, source: "explicit" });
    expect(defaults.poolProcess).toMatchObject({ value: 2, source: "explicit" });
    expect(defaults.memoryMb).toMatchObject({ value: 300, source: "explicit" });
  });

  it("runs a process module in a worker thread, with a warning, where no child process can start", async () => {
    h.ws.module({
      name: "cruncher",
      chipset: { isolation: "process" },
      code: `import { isMainThread } from "node:worker_threads";
        export const module = defineModule({ api: { where() { return isMainThread ? "process" : "worker"; } } });`,
    });
    const root = fixtureRoot(cgroup("max 100000\n", "max\n", "64\n"));
    const { logger, lines } = capturingLogger();
    const rt = h.open({ environment: { root, env: {} }, logger, hosts: { pool: { worker: 0, process: 0 } } });
    expect(rt.environment().defaults.processIsolation).toMatchObject({ value: "worker", source: "adapted" });
    await expect(rt.call("cruncher", "where")).resolves.toBe("worker");
    expect(rt.instances().find((i) => i.id === "cruncher")?.isolation).toBe("worker");
    const warning = lines.find((l) => l.module === "cruncher@1.0.0");
    expect(warning?.msg).toMatch(
      /asks for isolation "process", but child processes unavailable .*pids\.max 64.*worker thread instead/,
    );
  });

  it("refuses a sandboxed module there rather than run it without its permissions", async () => {
    h.ws.module({
      name: "sealed",
      chipset: { isolation: "process", permissions: {} },
      code: `export const module = defineModule({ api: { ping() { return "pong"; } } });`,
    });
    const root = fixtureRoot(cgroup("max 100000\n", "max\n", "64\n"));
    const rt = h.open({ environment: { root, env: {} }, hosts: { pool: { worker: 0, process: 0 } } });
    await expect(rt.call("sealed", "ping")).rejects.toMatchObject({
      code: ErrorCodes.ISOLATION_UNSUPPORTED,
      message: expect.stringMatching(
        /declares permissions, which only a process host can enforce, and child processes unavailable/,
      ) as unknown,
    });
  });
});
