import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxFeatures } from "../../src/hosts/sandboxFeatures.js";
import { createRuntime, type Runtime } from "../../src/index.js";
import type { ChipsetManifest } from "../../src/vocabulary/manifest.js";
import { workspace, type Workspace } from "../support/fixtures.js";
import { ended, whenEnded } from "../hosts/harness.js";

// docs/security.md, "What a module can do, by host": the rows about resources (memory, processes,
// and what outlives the module), as test/security/capabilities.test.ts does the others. "yes" is
// done; a crash is named by its kind; "n/a" is a cell where the capability means nothing.

const HOSTS = ["inline", "worker", "process", "sandboxed"] as const;
type Host = (typeof HOSTS)[number];
type Row = Record<Host, string>;

// Where the machine lacks a cgroup, a sandboxed module gets what a process module gets.
const machine = sandboxFeatures().report;
const MEMORY_MB = 96;
const PIDS = 32;
const SPAWNED = 40;

/** Capability x host -> the answer the module gets. */
const TABLE: Record<string, Row> = {
  // Only the JS heap is a worker's limit; a process is also measured from outside.
  [`hold ${MEMORY_MB * 4} MiB of Buffers over limits.memoryMb ${MEMORY_MB}`]: {
    inline: "yes",
    worker: "yes",
    process: "memory-limit",
    sandboxed: "memory-limit",
  },
  // In one synchronous stretch: no heartbeat, so nothing measured from outside; the kernel is quicker than the heap flag.
  [`grow its JS heap over limits.memoryMb ${MEMORY_MB}`]: {
    inline: "n/a", // the runtime's own heap: there is no limit to reach, only the runtime to end
    worker: "heap-exhausted",
    process: "heap-exhausted",
    sandboxed: machine.cgroupMemory.available ? "memory-limit" : "heap-exhausted",
  },
  [`start ${SPAWNED} processes over limits.pids ${PIDS}`]: {
    inline: "yes",
    worker: "yes",
    process: "yes",
    sandboxed: machine.cgroupPids.available ? "EAGAIN" : "yes",
  },
  "leave an ordinary child behind when it ends": {
    inline: "left behind",
    worker: "left behind",
    process: "ended",
    sandboxed: "ended",
  },
  "leave a detached child (a session of its own) behind when it ends": {
    inline: "left behind",
    worker: "left behind",
    process: "left behind",
    sandboxed: machine.cgroupPids.available ? "ended" : "left behind",
  },
};

const MEMORY = `const MiB = 1024 * 1024;
let kept = [];
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
export const module = defineModule({ api: {
  // Outside the V8 heap, yielding between steps so that heartbeats (and measures) go on.
  async buffers(mb) { for (let held = 0; held < mb; held += 4) { kept.push(Buffer.alloc(4 * MiB, 1)); await tick(); } kept = []; return "yes"; },
  // Arrays of doubles, 8 MiB each, without yielding.
  heap(mb) { const arrays = []; for (let held = 0; held < mb; held += 8) arrays.push(new Array(MiB).fill(held + 0.5)); return "yes"; },
} });`;

const CHILDREN = `import { spawn } from "node:child_process";
// A sleeper by absolute path: a sandboxed module's environment has no PATH.
const sleeper = (options) => spawn("/bin/sh", ["-c", "exec sleep 600"], { stdio: "ignore", ...options });
const started = (child) => new Promise((resolve) => { child.once("spawn", () => resolve("yes")); child.once("error", (e) => resolve(e.code)); });
export const module = defineModule({ api: {
  /** Starts n sleepers at once: "yes", or the first error; then ends those that started. */
  async many(n) {
    const children = [];
    const answers = [];
    for (let i = 0; i < n; i++) {
      try { const child = sleeper(); children.push(child); answers.push(started(child)); }
      catch (e) { answers.push(Promise.resolve(e.code)); }
    }
    const settled = await Promise.all(answers);
    await Promise.all(children.filter((c) => c.pid !== undefined).map((c) => new Promise((resolve) => { c.once("exit", resolve); c.kill("SIGKILL"); })));
    return settled.find((a) => a !== "yes") ?? "yes";
  },
  /** An ordinary sleeper and a detached one (a session of its own): their pids. */
  async sleepers() {
    const plain = sleeper();
    const detached = sleeper({ detached: true });
    plain.unref();
    detached.unref();
    await Promise.all([started(plain), started(detached)]);
    return { plain: plain.pid, detached: detached.pid };
  },
} });`;

const answers = {} as Record<Host, Record<string, string>>;
let ws: Workspace;
let rt: Runtime | undefined;
const leftovers: number[] = [];

function chipsetFor(
  host: Host,
  chipset: Partial<ChipsetManifest>,
  permissions: object,
): Partial<ChipsetManifest> {
  const isolation = host === "sandboxed" ? "process" : host;
  return { ...chipset, isolation, ...(host === "sandboxed" ? { permissions } : {}) };
}

/** The crash kind a call ended with, or its answer. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    return String(await call);
  } catch (err) {
    const kind = (err as { details?: { kind?: string } }).details?.kind;
    if (kind === undefined) throw err;
    return kind;
  }
}

/** Right after its host ended: "ended" when `pid` is gone or SIGKILL waits for it, else "left behind". */
function fate(pid: number): string {
  if (ended(pid)) return "ended";
  // Linux: SigPnd (the thread's) or ShdPnd (the process's) pending signals, bit 9 being SIGKILL.
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return "ended"; // since the look above
  }
  for (const [, mask] of status.matchAll(/^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$/gm))
    if ((BigInt(`0x${mask}`) & (1n << 8n)) !== 0n) return "ended";
  leftovers.push(pid);
  return "left behind";
}

beforeAll(async () => {
  ws = workspace();
  for (const host of HOSTS) {
    // One module per crash: a crashed module stays down (temporary: never restarted).
    for (const name of ["buffers", "heap"])
      ws.module({
        name: `${name}-${host}`,
        chipset: chipsetFor(host, { limits: { memoryMb: MEMORY_MB }, restart: { policy: "temporary" } }, {}),
        code: MEMORY,
      });
    ws.module({
      name: `children-${host}`,
      chipset: chipsetFor(host, { limits: { pids: PIDS } }, { childProcess: true }),
      code: CHILDREN,
    });
  }
  const configFile = join(ws.root, "chipset.config.json");
  writeFileSync(configFile, JSON.stringify({ permissions: { default: { childProcess: true } } }));
  rt = createRuntime({
    dataDir: ws.dataDir,
    moduleDirs: [ws.modulesDir],
    configFile,
    logLevel: "silent",
    hosts: { pool: { worker: 0, process: 0 } },
  });
  const sleepers = {} as Record<Host, { plain: number; detached: number }>;
  for (const host of HOSTS) {
    type Memory = { buffers(mb: number): string; heap(mb: number): string };
    const buffers = rt.use<Memory>(`buffers-${host}`);
    const heap = rt.use<Memory>(`heap-${host}`);
    const children = rt.use<{ many(n: number): string; sleepers(): { plain: number; detached: number } }>(
      `children-${host}`,
    );
    answers[host] = {
      [`hold ${MEMORY_MB * 4} MiB of Buffers over limits.memoryMb ${MEMORY_MB}`]: await outcome(
        buffers.buffers(MEMORY_MB * 4),
      ),
      [`grow its JS heap over limits.memoryMb ${MEMORY_MB}`]:
        host === "inline" ? "n/a" : await outcome(heap.heap(MEMORY_MB * 4)),
      [`start ${SPAWNED} processes over limits.pids ${PIDS}`]: await children.many(SPAWNED),
    };
    sleepers[host] = await children.sleepers();
  }
  // The end of every module: its host ended, whatever it started signalled by then.
  await rt.close();
  for (const host of HOSTS) {
    answers[host]["leave an ordinary child behind when it ends"] = fate(sleepers[host].plain);
    answers[host]["leave a detached child (a session of its own) behind when it ends"] = fate(
      sleepers[host].detached,
    );
  }
});

afterAll(async () => {
  await rt?.close();
  for (const pid of leftovers) process.kill(pid, "SIGKILL");
  await Promise.all(leftovers.map((pid) => whenEnded(pid)));
  ws?.dispose();
});

describe.each(Object.entries(TABLE))("%s", (capability, row) => {
  it.each(HOSTS.map((host) => [host, row[host]] as const))("%s: %s", (host, expected) => {
    expect(answers[host][capability]).toBe(expected);
  });
});
