import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { ChipsetError } from "../../src/errors/ChipsetError.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import { HostPool } from "../../src/hosts/HostPool.js";
import { packageRoot } from "../../src/hosts/sdkLink.js";
import { isGone, isolations } from "./harness.js";

const run = promisify(execFile);

describe.each(isolations)("the host pool for %s hosts", (isolation) => {
  it("keeps at most its size of blank hosts, hands them out, refills, and ends them all on close", async () => {
    const pool = new HostPool({ worker: 2, process: 2, heartbeatMs: 1000 });
    pool.warm(isolation);
    pool.warm(isolation);
    expect(pool.blankCount(isolation)).toBe(2);
    expect(pool.live).toBe(2);
    const first = await pool.acquire({ isolation });
    // No refill until the module is in (refill): one blank left, plus the one in use.
    expect(pool.blankCount(isolation)).toBe(1);
    pool.refill({ isolation });
    expect(pool.blankCount(isolation)).toBe(2);
    expect(pool.live).toBe(3);
    pool.warm(isolation);
    expect(pool.live).toBe(3);
    const second = await pool.acquire({ isolation });
    pool.refill({ isolation });
    expect(pool.live).toBe(4);
    expect(second).not.toBe(first);
    // A host with a memory limit is never a blank one.
    const limited = await pool.acquire({ isolation, memoryMb: 64 });
    pool.refill({ isolation, memoryMb: 64 });
    expect(pool.live).toBe(5);
    expect(pool.blankCount(isolation)).toBe(2);
    const pids = [first.pid, second.pid, limited.pid];
    // close() ends the blank hosts and waits for the ones in use.
    let closed = false;
    const closing = pool.close().then(() => (closed = true));
    await Promise.resolve();
    expect(closed).toBe(false);
    for (const channel of [first, second, limited]) channel.terminate();
    await closing;
    expect(pool.live).toBe(0);
    if (isolation === "process") for (const pid of pids) expect(isGone(pid)).toBe(true);
    await expect(pool.acquire({ isolation })).rejects.toMatchObject({ code: ErrorCodes.RUNTIME_CLOSED });
  });

  it("rejects an acquire whose signal is aborted with CHIP_ERR_ABORTED, and ends that host", async () => {
    const pool = new HostPool({ worker: 0, process: 0, heartbeatMs: 1000 });
    const controller = new AbortController();
    const acquiring = pool.acquire({ isolation }, controller.signal);
    expect(pool.live).toBe(1);
    controller.abort(new Error("not needed"));
    const err = (await acquiring.catch((e: unknown) => e)) as ChipsetError;
    expect(err.code).toBe(ErrorCodes.ABORTED);
    expect((err.cause as Error).message).toBe("not needed");
    await pool.close();
    expect(pool.live).toBe(0);
  });

  it("destroy() ends the hosts in use too", async () => {
    const pool = new HostPool({ worker: 1, process: 1, heartbeatMs: 1000 });
    const channel = await pool.acquire({ isolation });
    await pool.destroy();
    expect(channel.alive).toBe(false);
    expect(pool.live).toBe(0);
  });
});

describe("the host pool", () => {
  it("reports a process host that cannot start as CHIP_ERR_HOST_START_FAILED, with its stderr", async () => {
    const pool = new HostPool({ worker: 0, process: 0, heartbeatMs: 1000 });
    // Allowed to read nothing, the child cannot even read its own entry file.
    const spec = {
      isolation: "process" as const,
      permissions: { fsRead: [], fsWrite: [], childProcess: false, worker: false, env: [] },
    };
    const err = (await pool.acquire(spec).catch((e: unknown) => e)) as ChipsetError;
    expect(err.code).toBe(ErrorCodes.HOST_START_FAILED);
    expect(err.message).toMatch(
      /a process host could not start: it exited with code 1; its stderr ends with: .*ERR_ACCESS_DENIED/s,
    );
    await pool.close();
    expect(pool.live).toBe(0);
  });

  it("takes a blank host that is still starting rather than starting another", async () => {
    const pool = new HostPool({ worker: 1, process: 0, heartbeatMs: 1000 });
    pool.warm("worker");
    expect(pool.live).toBe(1);
    const taken = await pool.acquire({ isolation: "worker" });
    pool.refill({ isolation: "worker" });
    expect(pool.live).toBe(2); // the one taken, and its replacement
    // Had the first acquire started a host of its own, the second would get the older blank one.
    const replacement = await pool.acquire({ isolation: "worker" });
    expect(taken.threadId).toBeLessThan(replacement.threadId);
    taken.terminate();
    replacement.terminate();
    await pool.close();
    expect(pool.live).toBe(0);
  });
});

describe("hosts and the life of the runtime's process", () => {
  const script = join(packageRoot(), "test", "hosts", "scripts", "keepAlive.mjs");

  it("blank hosts do not keep the process alive", async () => {
    const { stdout } = await run(process.execPath, [script, "blank"], { timeout: 20_000 });
    expect(stdout.trim()).toBe("warmed");
  });

  it("a pending call keeps the process alive until it is answered, then the idle host lets it exit", async () => {
    for (const isolation of isolations) {
      const { stdout } = await run(process.execPath, [script, "call", isolation], { timeout: 20_000 });
      expect(stdout.trim()).toBe(`answered late from ${isolation}`);
    }
  });
});
