import { describe, expect, it } from "vitest";
import type { ChipsetError } from "../../src/errors/ChipsetError.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import type { CrashKind } from "../../src/vocabulary/hosts.js";
import { hostHarness, isGone, type HostOverrides, type TestHost } from "./harness.js";

const h = hostHarness();

/**
 * Starts a module whose `crash()` method makes its host die, calls it, and checks the contract:
 * the pending call is rejected with CHIP_ERR_MODULE_CRASHED of `kind`, onCrash runs once, the
 * host is gone (no thread or process left).
 */
async function expectCrash(
  isolation: "worker" | "process",
  kind: CrashKind,
  crashBody: string,
  overrides: HostOverrides = {},
): Promise<{ made: TestHost; error: ChipsetError }> {
  const made = await h.started(
    isolation,
    `export const module = defineModule({ api: { ping() { return "pong"; }, crash() { ${crashBody} } } });`,
    overrides,
  );
  const { host } = made;
  await expect(host.call("ping", [])).resolves.toBe("pong");
  const pid = host.info().pid;
  const other = host.call("ping", []).then(() => undefined); // answered or rejected, never left hanging
  const error = (await host.call("crash", []).catch((e: unknown) => e)) as ChipsetError;
  expect(error.code).toBe(ErrorCodes.MODULE_CRASHED);
  expect(error.details.kind).toBe(kind);
  expect(error.message).toContain(`${made.key} crashed (${kind})`);
  await other.catch(() => undefined);
  const crash = await made.crashed;
  expect(crash.kind).toBe(kind);
  expect(crash.error).toBe(error);
  expect(host.crash).toBe(crash);
  expect(host.loaded).toBe(false);
  await expect(host.call("ping", [])).rejects.toBe(error);
  await h.pool.close();
  expect(h.pool.live).toBe(0);
  expect(made.crashes).toHaveLength(1);
  if (isolation === "process") expect(isGone(pid)).toBe(true);
  return { made, error };
}

describe.each(["worker", "process"] as const)("a %s host that crashes", (isolation) => {
  it("reports an error thrown in a timer as uncaught-exception, with the module's error as cause", async () => {
    const { error } = await expectCrash(
      isolation,
      "uncaught-exception",
      `setTimeout(() => { const e = new Error("timer blew up"); e.code = "E_TIMER"; throw e; }); return new Promise(() => {});`,
    );
    expect((error.cause as Error & { code?: string }).message).toBe("timer blew up");
    expect((error.cause as Error & { code?: string }).code).toBe("E_TIMER");
  });

  it("reports an unhandled rejection", async () => {
    const { error } = await expectCrash(
      isolation,
      "unhandled-rejection",
      `Promise.reject(new Error("nobody listens")); return new Promise(() => {});`,
    );
    expect((error.cause as Error).message).toBe("nobody listens");
  });

  it("ends a host whose event loop is blocked as hung once it missed the threshold's windows in a row", async () => {
    const { error } = await expectCrash(isolation, "hang", `for (;;) {}`, {
      hang: { timeoutMs: 250, failureThreshold: 2 },
    });
    expect(error.message).toMatch(
      new RegExp(
        `no message from its ${isolation} for \\d+ ms \\(2 windows of hangTimeoutMs 250 ms in a row\\)`,
      ),
    );
  });

  it("reports heap exhaustion under its memory limit", async () => {
    // Allocating synchronously: no heartbeat can report the process's resident memory first.
    const { made } = await expectCrash(
      isolation,
      "heap-exhausted",
      `const keep = []; for (;;) keep.push(new Array(10000).fill({ a: 1 }));`,
      { memoryMb: isolation === "worker" ? 32 : 64 },
    );
    // A process's stderr (where V8 reports the exhausted heap) reaches the module's log.
    if (isolation === "process") {
      const line = made.bridge.logs.find((l) => l.msg?.includes("heap out of memory"));
      expect(line).toMatchObject({ level: "warn", obj: { stream: "stderr" } });
    }
  });

  it("reports process.exit() in module code as exit, with the exit code", async () => {
    const { made } = await expectCrash(isolation, "exit", `process.exit(3);`);
    expect(made.crashes[0]!.exitCode).toBe(3);
    expect(made.crashes[0]!.error.details).toMatchObject({ kind: "exit", exitCode: 3 });
  });

  it("reports process.abort() as abort, and the runtime's process survives", async () => {
    await expectCrash(isolation, "abort", `process.abort();`);
  });
});

describe("a process host", () => {
  it("is killed when its resident memory exceeds limits.memoryMb (memory-limit)", async () => {
    // Buffers live outside the JavaScript heap: only the heartbeat's rss can see them.
    const { made } = await expectCrash(
      "process",
      "memory-limit",
      `const keep = []; const t = setInterval(() => { keep.push(Buffer.alloc(8 * 1024 * 1024, 1)); if (keep.length > 60) clearInterval(t); }, 5);
       return new Promise(() => {});`,
      { memoryMb: 80 },
    );
    expect(made.crashes[0]!.error.message).toMatch(/above its limit of 80 MiB/);
  });

  it("reports a signal chipset did not send as killed", async () => {
    const { made } = await expectCrash(
      "process",
      "killed",
      `setImmediate(() => process.kill(process.pid, "SIGTERM")); return new Promise(() => {});`,
    );
    expect(made.crashes[0]!.signal).toBe("SIGTERM");
  });
});
