import { AsyncLocalStorage } from "node:async_hooks";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { asyncContextFrameEnabled, nodeFeatures, startFlags } from "./nodeFeatures.js";

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
const known = process.allowedNodeEnvironmentFlags;

/**
 * How AsyncLocalStorage really runs, from the implementation Node picked: only the async_hooks
 * one has `_propagate` (Node 20 to 24). The test's own oracle, independent of the flags.
 */
const onFrameHere = (): boolean => !("_propagate" in AsyncLocalStorage.prototype);
const onFrameScript = `process.stdout.write(String(!("_propagate" in require("node:async_hooks").AsyncLocalStorage.prototype)))`;

/** Whether a fresh `node` started with `nodeOptions` and `execArgv` runs AsyncLocalStorage on AsyncContextFrame. */
function onFrameIn(nodeOptions: string, execArgv: string[]): boolean {
  const env = { ...process.env, NODE_OPTIONS: nodeOptions };
  return (
    execFileSync(process.execPath, [...execArgv, "-e", onFrameScript], { env, encoding: "utf8" }) === "true"
  );
}

describe("nodeFeatures", () => {
  it("finds every Node 24 API on Node 24.6 and later", () => {
    if (major < 24 || (major === 24 && minor < 6)) return;
    expect(nodeFeatures).toMatchObject({
      threadCpuUsage: true,
      workerCpuUsage: true,
      workerHeapStatistics: true,
    });
  });

  it("finds none of them on Node 20", () => {
    if (major !== 20) return;
    expect(nodeFeatures).toEqual({
      threadCpuUsage: false,
      workerCpuUsage: false,
      workerHeapStatistics: false,
      asyncContextFrame: false,
      permissionFlag: "--experimental-permission",
    });
  });

  it("reports only APIs that answer: a worker's heap and CPU time read from outside, and this thread's CPU time", async () => {
    const worker = new Worker("setInterval(() => {}, 60_000)", { eval: true });
    await once(worker, "online");
    try {
      const outside = worker as Worker & {
        getHeapStatistics?: () => Promise<{ used_heap_size: number }>;
        cpuUsage?: () => Promise<{ user: number; system: number }>;
      };
      const inside = process as { threadCpuUsage?: () => { user: number; system: number } };
      expect(outside.getHeapStatistics !== undefined).toBe(nodeFeatures.workerHeapStatistics);
      expect(outside.cpuUsage !== undefined).toBe(nodeFeatures.workerCpuUsage);
      expect(inside.threadCpuUsage !== undefined).toBe(nodeFeatures.threadCpuUsage);
      if (outside.getHeapStatistics)
        expect((await outside.getHeapStatistics()).used_heap_size).toBeGreaterThan(0);
      // Starting a thread takes milliseconds of CPU: its own clock has moved.
      if (outside.cpuUsage) expect((await outside.cpuUsage()).user).toBeGreaterThan(0);
      if (inside.threadCpuUsage) expect(inside.threadCpuUsage().user).toBeGreaterThan(0);
    } finally {
      await worker.terminate();
    }
  });

  it("says whether AsyncLocalStorage runs on AsyncContextFrame in this process", () => {
    expect(nodeFeatures.asyncContextFrame).toBe(onFrameHere());
  });

  it("agrees with Node on every combination of its flags, NODE_OPTIONS first and the command line winning", () => {
    const cases: Array<[nodeOptions: string, execArgv: string[]]> = [["", []]];
    if (known.has("--no-async-context-frame"))
      cases.push(
        ["", ["--no-async-context-frame"]],
        ["", ["--no_async_context_frame"]],
        ["", ["--no-async-context-frame", "--async-context-frame"]],
        ["--no-async-context-frame", []],
        ["--no-async-context-frame", ["--async-context-frame"]],
        ["--async-context-frame", ["--no-async-context-frame"]],
      );
    if (known.has("--experimental-async-context-frame"))
      cases.push(["", ["--experimental-async-context-frame"]], ["--experimental-async-context-frame", []]);
    for (const [nodeOptions, execArgv] of cases)
      expect(
        asyncContextFrameEnabled(startFlags(nodeOptions, execArgv), known),
        `${nodeOptions} ${execArgv.join(" ")}`,
      ).toBe(onFrameIn(nodeOptions, execArgv));
  });

  it("follows each Node line's rule: on unless turned off on Node 24, off unless turned on on Node 22, never on Node 20", () => {
    const node24 = new Set(["--async-context-frame", "--no-async-context-frame"]);
    const node22 = new Set(["--experimental-async-context-frame"]);
    const node20 = new Set<string>();
    expect(asyncContextFrameEnabled([], node24)).toBe(true);
    expect(asyncContextFrameEnabled(["--no-async-context-frame"], node24)).toBe(false);
    expect(asyncContextFrameEnabled(["--no-async-context-frame", "--async-context-frame"], node24)).toBe(
      true,
    );
    expect(asyncContextFrameEnabled(["--max-old-space-size=64"], node24)).toBe(true);
    expect(asyncContextFrameEnabled([], node22)).toBe(false);
    expect(asyncContextFrameEnabled(["--experimental-async-context-frame"], node22)).toBe(true);
    expect(asyncContextFrameEnabled(["--experimental-async-context-frame"], node20)).toBe(false);
    expect(asyncContextFrameEnabled([], node20)).toBe(false);
  });

  it("reads the flags of NODE_OPTIONS before those of the command line, and skips their values", () => {
    expect(
      startFlags("  --no-async-context-frame   --require ./setup.cjs ", ["--async-context-frame"]),
    ).toEqual(["--no-async-context-frame", "--require", "--async-context-frame"]);
    expect(startFlags(undefined, ["--inspect"])).toEqual(["--inspect"]);
  });
});

describe("permissionFlag", () => {
  it("names the flag this Node starts its permission model with, which a child really accepts", () => {
    const flag = nodeFeatures.permissionFlag;
    expect(flag).toBe(major >= 22 ? "--permission" : "--experimental-permission");
    const script = "process.stdout.write(String(process.permission.has('fs.write', '/')))";
    expect(
      execFileSync(process.execPath, [flag!, "--allow-fs-read=*", "-e", script], { encoding: "utf8" }),
    ).toBe("false");
  });
});
