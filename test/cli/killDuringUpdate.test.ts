import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ManualClock } from "../../src/common/Clock.js";
import { ActiveVersions } from "../../src/registry/ActiveVersions.js";
import { expectConsistent, openRegistry } from "../registry/fixtures.js";
import { counterSpec } from "./fixtures.js";
import { chipset, collect, spawnCli, tempDir, waitForOutput, writeModule, FREE_PORT } from "./harness.js";

// A host killed with SIGKILL at points spread over an update (fetch, install, start, switch,
// retire, or after), each a random few ms after a step began, comes back with exactly one of the two versions active and a consistent
// registry: the version recorded as active is the one it starts, and nothing else runs.

/** The host's lines the kills follow, one after another: each step of an update, and its end. */
const POINTS = [
  "updating counter",
  "loaded counter@{to}",
  "started counter@{to}",
  "switched counter",
  "stopped counter@{from}",
  "updated counter",
];

/** One kill after each point: every step is crashed at (each costs a host start, seconds of CPU). */
const KILLS = POINTS.length;

let tmp: { dir: string; cleanup: () => Promise<void> };
let v2: string;
const data = () => ["--data-dir", join(tmp.dir, "data")];

beforeAll(async () => {
  tmp = await tempDir("kill-update");
  const v1 = await writeModule(join(tmp.dir, "v1"), counterSpec("1.0.0"));
  v2 = await writeModule(join(tmp.dir, "v2"), counterSpec("1.1.0"));
  expect((await chipset([...data(), "add", v1])).code).toBe(0);
});
afterAll(() => tmp.cleanup());

/** Starts a host; resolves with it and the counter version it started once it runs. */
async function startHost(): Promise<{ host: ChildProcess; version: string }> {
  const host = spawnCli([...data(), "start", ...FREE_PORT]);
  const boot = await waitForOutput(host, /chipset is running/);
  expect(boot).toMatch(/running \(1\): counter@\S+\n/);
  return { host, version: /started counter@(\S+)/.exec(boot)![1]! };
}

/** The version the data directory records as active, after the recovery a restart does. */
function recordedActive(): string | undefined {
  const { db, registry, close } = openRegistry(join(tmp.dir, "data"));
  try {
    expectConsistent(registry, join(tmp.dir, "data"));
    return new ActiveVersions(db, new ManualClock()).get("counter")?.version;
  } finally {
    close();
  }
}

it(`comes back with exactly one version active after ${KILLS} kills at random points of an update`, async () => {
  let { host, version } = await startHost();
  for (let i = 0; i < KILLS; i++) {
    const target = version === "1.0.0" ? "1.1.0" : "1.0.0";
    const point = POINTS[i % POINTS.length]!.replace("{to}", target).replace("{from}", version);
    const reached = waitForOutput(host, new RegExp(point.replace(/[.@]/g, "\\$&")));
    const args = target === "1.1.0" ? ["--from", v2] : [];
    const cli = spawnCli([...data(), "update", `counter@${target}`, ...args, "--grace", "0"]);
    const cliDone = collect(cli);
    await reached;
    // The crash point, not a synchronisation: a little after the host said it reached a step.
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 30)));
    const hostGone = collect(host);
    host.kill("SIGKILL");
    await hostGone;
    const asked = await cliDone;
    expect([0, 1], asked.stderr).toContain(asked.code);

    const active = recordedActive();
    expect([version, target], `kill ${i}: recorded ${String(active)}`).toContain(active);
    // The command said what happened: done, or the host stopped (then the record says where it is).
    if (asked.code === 0) expect(active).toBe(target);
    else expect(asked.stderr).toMatch(/the host \(process \d+\) stopped (during|before)/);

    ({ host, version } = await startHost());
    expect(version).toBe(active);
  }
  const last = collect(host);
  host.kill("SIGINT");
  expect((await last).code).toBe(0);
}, 180_000);
