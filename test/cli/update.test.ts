import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRuntime } from "../../src/index.js";
import type { UpdateReport } from "../../src/runtime/updateReport.js";
import { counterSpec } from "./fixtures.js";
import {
  chipset,
  collect,
  json,
  spawnCli,
  tempDir,
  waitForOutput,
  writeModule,
  FREE_PORT,
} from "./harness.js";

// `chipset update` and `chipset rollback` from a second terminal, with and without a host
// (`chipset start`) running on the same data directory.

let tmp: { dir: string; cleanup: () => Promise<void> };
let host: ChildProcess | undefined;
let v1: string;
let v2: string;
const data = () => ["--data-dir", join(tmp.dir, "data")];

beforeEach(async () => {
  tmp = await tempDir("update");
  v1 = await writeModule(join(tmp.dir, "v1"), counterSpec("1.0.0"));
  v2 = await writeModule(join(tmp.dir, "v2"), counterSpec("1.1.0"));
  expect((await chipset([...data(), "add", v1])).code).toBe(0);
});
afterEach(async () => {
  if (host?.exitCode === null && host.signalCode === null) host.kill("SIGKILL");
  host = undefined;
  await tmp.cleanup();
});

/** Starts a host and resolves with the counter version it started, once it runs. */
async function startHost(): Promise<string> {
  host = spawnCli([...data(), "start", ...FREE_PORT]);
  const boot = await waitForOutput(host, /chipset is running/);
  return /started counter@(\S+)/.exec(boot)![1]!;
}

/** The update history the data directory holds for counter, as `action from->to outcome code` newest first. */
async function history(): Promise<string[]> {
  const rt = createRuntime({ dataDir: join(tmp.dir, "data"), readOnly: true, logLevel: "silent" });
  try {
    return rt.queries
      .updateHistory("counter")
      .map((e) => `${e.action} ${e.from}->${e.to} ${e.outcome} ${e.code}`);
  } finally {
    await rt.close();
  }
}

async function stopHost(): Promise<void> {
  const done = collect(host!);
  host!.kill("SIGINT");
  expect((await done).code).toBe(0);
}

describe("chipset update and rollback without a host", () => {
  it("installs the new version as the one the next start loads, and rollback makes the old one load again", async () => {
    const updated = await chipset([...data(), "update", "counter", "--from", v2, "--json"]);
    expect(updated.code).toBe(0);
    const report = json<UpdateReport & { host: number | null }>(updated);
    expect(report).toMatchObject({ id: "counter", to: "1.1.0", outcome: "installed", host: null });
    expect(await startHost()).toBe("1.1.0");
    await stopHost();

    const rolledBack = await chipset([...data(), "rollback", "counter"]);
    expect(rolledBack.stderr).toBe("");
    expect(rolledBack.stdout).toMatch(/^counter@1\.0\.0 is installed and active/);
    // Both versions are installed: the recorded choice, not the highest, is what loads.
    expect(await startHost()).toBe("1.0.0");
    await stopHost();
  });

  it("refuses a rollback with nothing to go back to, and a malformed option, changing nothing", async () => {
    const rollback = await chipset([...data(), "rollback", "counter"]);
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toMatch(/^CHIP_ERR_MODULE_NOT_FOUND: counter has no update to roll back/);
    const badFlag = await chipset([...data(), "update", "counter", "--from", v2, "--grace", "soon"]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('--grace takes a whole number of milliseconds, not "soon"');
    expect(await startHost()).toBe("1.0.0");
    await stopHost();
  });
});

describe("chipset update and rollback with a host running", () => {
  it("has the host switch versions with the state carried over, prints the outcome, and a restart keeps the choice", async () => {
    expect(await startHost()).toBe("1.0.0");
    const hostOut = collect(host!);

    const updated = await chipset([...data(), "update", "counter", "--from", v2, "--grace", "0", "--json"]);
    expect(updated.stderr).toBe("");
    const report = json<UpdateReport & { host: number }>(updated);
    expect(report).toMatchObject({ from: "1.0.0", to: "1.1.0", outcome: "completed", stateMigrated: true });
    expect(report.host).toBe(host!.pid);

    const rolledBack = await chipset([...data(), "rollback", "counter", "--grace", "0"]);
    expect(rolledBack.stdout).toMatch(
      new RegExp(`^updated counter 1\\.1\\.0 -> 1\\.0\\.0 on the host \\(process ${host!.pid}\\)`),
    );
    host!.kill("SIGINT");
    const out = (await hostOut).stdout;
    expect(out).toMatch(/switched counter 1\.0\.0 -> 1\.1\.0/);
    expect(out).toMatch(/rolled back counter 1\.1\.0 -> 1\.0\.0 \(asked for\)/);
    expect(await startHost()).toBe("1.0.0");
    await stopHost();
    // The host recorded what it ran for the other terminal.
    expect(await history()).toEqual([
      "rollback 1.1.0->1.0.0 completed null",
      "update 1.0.0->1.1.0 completed null",
    ]);
  });

  it("passes the host's refusal back as the command's error, and the host goes on serving the old version", async () => {
    expect(await startHost()).toBe("1.0.0");
    const refused = await chipset([
      ...data(),
      "update",
      "counter",
      "--from",
      v2,
      "--integrity",
      "sha512-" + Buffer.alloc(64).toString("base64"),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^CHIP_ERR_INTEGRITY_MISMATCH: /);
    await stopHost();
    expect(await history()).toEqual(["update 1.0.0->null failed CHIP_ERR_INTEGRITY_MISMATCH"]);
    expect(await startHost()).toBe("1.0.0");
    await stopHost();
  });

  it("runs a canary on the host when asked, and refuses the update when the canary had no calls to judge", async () => {
    expect(await startHost()).toBe("1.0.0");
    const alone = await chipset([...data(), "update", "counter", "--from", v2, "--canary-ms", "100"]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("add --canary <percent>");
    const canary = await chipset([
      ...data(),
      "update",
      "counter",
      "--from",
      v2,
      "--canary",
      "50",
      "--canary-ms",
      "300",
      "--json",
    ]);
    expect(canary.code).toBe(1);
    const { error } = json<{ error: { code: string; message: string; details: { report: UpdateReport } } }>(
      canary,
    );
    expect(error.code).toBe("CHIP_ERR_UPDATE_FAILED");
    expect(error.details.report.canary).toMatchObject({ percent: 50, verdict: "inconclusive" });
    await stopHost();
    expect(await startHost()).toBe("1.0.0");
    await stopHost();
  });

  it("tells the waiting command when the host is killed during the update, and the host comes back on the switched-to version", async () => {
    expect(await startHost()).toBe("1.0.0");
    const switched = waitForOutput(host!, /switched counter/);
    // A long grace keeps the update running after the switch: the host is killed there.
    const waiting = chipset([...data(), "update", "counter", "--from", v2, "--grace", "600000"]);
    await switched;
    host!.kill("SIGKILL");
    const result = await waiting;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^CHIP_ERR_UPDATE_FAILED: the host \(process \d+\) stopped during the update of counter, at its (switch|grace) step/,
    );
    expect(await startHost()).toBe("1.1.0");
    await stopHost();
  });
});
