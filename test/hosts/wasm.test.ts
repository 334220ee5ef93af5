import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/common/Clock.js";
import type { ChipsetError } from "../../src/errors/ChipsetError.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import { HostPool } from "../../src/hosts/HostPool.js";
import { IsolatedHost } from "../../src/hosts/IsolatedHost.js";
import type { CrashInfo } from "../../src/vocabulary/hosts.js";
import { deadline, RecordingBridge } from "./harness.js";

const example = join(import.meta.dirname, "..", "..", "examples", "wasm-contract");
const contract = join(example, "contract.wasm");

// Hand-assembled modules for what the example contract does not show (binary format, spec ch. 5).
const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const ascii = (s: string) => [s.length, ...Buffer.from(s)];
/** Defines a memory of 40 pages (2.5 MiB) minimum. */
const bigMemory = [...header, 0x05, 0x03, 0x01, 0x00, 40];
/** Imports env.memory (1 page minimum) and exports grow(pages) -> memory.grow(pages). */
const importsMemory = [
  ...header,
  ...[0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f], // type 0: (i32) -> i32
  ...[0x02, 0x0f, 0x01, ...ascii("env"), ...ascii("memory"), 0x02, 0x00, 0x01], // import memory, min 1
  ...[0x03, 0x02, 0x01, 0x00], // function 0: type 0
  ...[0x07, 0x08, 0x01, ...ascii("grow"), 0x00, 0x00], // export grow
  ...[0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b], // local.get 0, memory.grow
];
/** Imports a function env.log: not self-contained. */
const importsFunction = [
  ...header,
  ...[0x01, 0x04, 0x01, 0x60, 0x00, 0x00], // type 0: () -> ()
  ...[0x02, 0x0b, 0x01, ...ascii("env"), ...ascii("log"), 0x00, 0x00],
];

let dir: string;
let pool: HostPool;
let hosts: IsolatedHost[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "chipset-wasm-"));
  pool = new HostPool({ worker: 0, process: 0, heartbeatMs: 50 });
  hosts = [];
});

afterEach(async () => {
  for (const host of hosts) host.unload();
  await pool.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** A worker host for the wasm file `file` (a path, or bytes written to a file) under these limits. */
function wasmHost(
  file: string | number[],
  limits: { timeLimitMs?: number; memoryMb?: number } = {},
  isolation: "worker" | "process" = "worker",
): { host: IsolatedHost; crashed: Promise<CrashInfo> } {
  let path = file as string;
  if (Array.isArray(file)) writeFileSync((path = join(dir, `m${hosts.length}.wasm`)), Uint8Array.from(file));
  const host = new IsolatedHost({
    isolation,
    key: "contract@1.0.0",
    moduleId: "contract",
    version: "1.0.0",
    file: path,
    requires: [],
    optional: [],
    baseDir: dir,
    wasm: { timeLimitMs: limits.timeLimitMs ?? 5000, memoryMb: limits.memoryMb ?? 64 },
    pool,
    clock: systemClock,
    bridge: new RecordingBridge(),
    hang: { timeoutMs: 30_000, failureThreshold: 1 },
  });
  hosts.push(host);
  const crashed = new Promise<CrashInfo>((resolve) => host.onCrash(resolve));
  return { host, crashed };
}

async function loaded(
  file: string | number[],
  limits?: { timeLimitMs?: number; memoryMb?: number },
  isolation?: "worker" | "process",
) {
  const made = wasmHost(file, limits, isolation);
  await made.host.load(deadline());
  return made;
}

describe("the example contract", () => {
  it("is what its generator writes, byte for byte", () => {
    const out = join(dir, "contract.wasm");
    execFileSync(process.execPath, [join(example, "build-contract.mjs"), out]);
    expect(Buffer.compare(readFileSync(out), readFileSync(contract))).toBe(0);
  });

  it("serves its exported functions as api methods from a worker, numbers of each type in and out", async () => {
    const { host } = await loaded(contract);
    expect(host.info().threadId).toBeGreaterThan(0);
    expect(host.methods()).toEqual([
      "add",
      "increment",
      "addWide",
      "average",
      "half",
      "spin",
      "alloc",
      "dealloc",
      "checksum",
      "grow",
    ]);
    expect(await host.call("add", [1, 2])).toBe(3);
    expect(await host.call("average", [1, 2.5])).toBe(1.75);
    expect(await host.call("half", [3])).toBe(1.5);
    // i64: a BigInt or a safe integer in; a number out while it is a safe integer, else a BigInt.
    expect(await host.call("addWide", [2n, 3])).toBe(5);
    expect(await host.call("addWide", [-(2n ** 40n), 1])).toBe(-(2 ** 40) + 1);
    expect(await host.call("addWide", [2n ** 62n, 1])).toBe(2n ** 62n + 1n);
    expect(await host.call("addWide", [Number.MAX_SAFE_INTEGER, 2])).toBe(
      BigInt(Number.MAX_SAFE_INTEGER) + 2n,
    );
  });

  it("keeps its state in globals across calls", async () => {
    const { host } = await loaded(contract);
    expect(await host.call("increment", [])).toBe(1);
    expect(await host.call("increment", [])).toBe(2);
    expect(await host.call("increment", [])).toBe(3);
  });

  it("takes a string or bytes as (ptr, len), copied into its memory through alloc and freed through dealloc", async () => {
    const { host } = await loaded(contract);
    const sum = [..."héllo"].reduce((n, c) => n + [...Buffer.from(c)].reduce((a, b) => a + b, 0), 0);
    expect(await host.call("checksum", ["héllo"])).toBe(sum);
    expect(await host.call("checksum", [Uint8Array.from([1, 2, 250])])).toBe(253);
    // dealloc gave the bytes back: the next allocation starts where the first did.
    expect(await host.call("alloc", [0])).toBe(1024);
  });

  it("refuses arguments of the wrong type or number, saying the signature", async () => {
    const { host } = await loaded(contract);
    await expect(host.call("add", [1])).rejects.toThrow(
      "add(i32, i32) -> i32 takes 2 values (a string or Uint8Array fills an (i32, i32) pair); it was called with 1 argument",
    );
    await expect(host.call("add", [1, "2"])).rejects.toThrow(
      "add(i32, i32) -> i32: argument 2 is a string, which passes as two i32 parameters (ptr, len), but parameters 2 and 3 are not both i32",
    );
    await expect(host.call("add", [1.5, 2])).rejects.toThrow(
      "add(i32, i32) -> i32: argument 1 must be an i32: an integer from -2147483648 to 4294967295; got 1.5",
    );
    await expect(host.call("addWide", [2 ** 60, 1])).rejects.toThrow(
      /argument 1 must be an i64: a BigInt, or a safe-integer number/,
    );
    // Still serving.
    expect(await host.call("add", [2, 2])).toBe(4);
  });

  it("has no method for an export that is not a function", async () => {
    const { host } = await loaded(contract);
    expect(host.hasMethod("add")).toBe(true);
    expect(host.hasMethod("memory")).toBe(false);
    expect(host.hasMethod("count")).toBe(false);
    const err = (await host.call("count", []).catch((e: unknown) => e)) as ChipsetError;
    expect(err.code).toBe(ErrorCodes.METHOD_NOT_FOUND);
    expect(err.message).toContain('has no api method "count"');
  });
});

describe("a WebAssembly engine's time limit", () => {
  it("ends the worker of a call that runs past it, naming the call and the limit; loaded again, it serves", async () => {
    const { host, crashed } = await loaded(contract, { timeLimitMs: 200 });
    expect(await host.call("increment", [])).toBe(1);
    const err = (await host.call("spin", [Number.MAX_SAFE_INTEGER]).catch((e: unknown) => e)) as ChipsetError;
    expect(err.code).toBe(ErrorCodes.MODULE_CRASHED);
    expect(err.details).toMatchObject({ kind: "time-limit", method: "spin", limitMs: 200 });
    expect(err.message).toContain(
      "contract@1.0.0 crashed (time-limit): its WebAssembly call spin() ran past its time limit of 200 ms (engine.wasm.timeLimitMs), so its worker was ended",
    );
    expect((await crashed).kind).toBe("time-limit");
    expect(host.loaded).toBe(false);
    await host.load(deadline());
    expect(await host.call("add", [20, 22])).toBe(42);
    // A fresh instance: its globals start again.
    expect(await host.call("increment", [])).toBe(1);
  });

  it("ends a process host the same way", async () => {
    const { host, crashed } = await loaded(contract, { timeLimitMs: 200 }, "process");
    expect(await host.call("add", [1, 2])).toBe(3);
    expect(host.info().pid).not.toBe(process.pid);
    await expect(host.call("spin", [Number.MAX_SAFE_INTEGER])).rejects.toMatchObject({
      code: ErrorCodes.MODULE_CRASHED,
      details: { kind: "time-limit", method: "spin", limitMs: 200 },
    });
    expect((await crashed).kind).toBe("time-limit");
  });
});

describe("a WebAssembly engine's memory cap", () => {
  it("is the maximum of the memory the module defines: growing past it fails inside the module", async () => {
    const { host } = await loaded(contract, { memoryMb: 2 });
    expect(await host.call("grow", [31])).toBe(1); // 1 + 31 pages = 2 MiB
    expect(await host.call("grow", [1])).toBe(-1);
  });

  it("is the maximum of a memory the module imports", async () => {
    const { host } = await loaded(importsMemory, { memoryMb: 1 });
    expect(await host.call("grow", [15])).toBe(1);
    expect(await host.call("grow", [1])).toBe(-1);
  });

  it("refuses a module whose memory starts above the cap", async () => {
    const { host } = wasmHost(bigMemory, { memoryMb: 2 });
    const err = (await host.load(deadline()).catch((e: unknown) => e)) as ChipsetError;
    expect(err.code).toBe(ErrorCodes.LOAD_FAILED);
    expect(err.message).toMatch(
      /needs at least 40 pages \(2\.50 MiB\) of memory, more than its cap of 2 MiB \(engine\.wasm\.memoryMb\); raise engine\.wasm\.memoryMb/,
    );
  });
});

describe("a WebAssembly module Chipset cannot run", () => {
  it("is refused when it imports functions", async () => {
    const { host } = wasmHost(importsFunction);
    await expect(host.load(deadline())).rejects.toMatchObject({
      code: ErrorCodes.LOAD_FAILED,
      message: expect.stringContaining(
        "imports env.log (function); a WebAssembly engine module may import nothing but one memory",
      ) as unknown,
    });
  });

  it("is refused when the file is not WebAssembly", async () => {
    const { host } = wasmHost([0x7b, 0x7d]);
    await expect(host.load(deadline())).rejects.toMatchObject({
      code: ErrorCodes.LOAD_FAILED,
      message: expect.stringContaining(
        "cannot be run as a WebAssembly engine: it is not a WebAssembly binary",
      ) as unknown,
    });
  });
});
