import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ExperimentReport } from "../../src/chaos/experimentReport.js";
import { chipset, tempDir, writeModule } from "../cli/harness.js";

// The required experiments, run as a user would: `chipset chaos run FILE` in a child process,
// against real modules (the demo's, and a worker fixture), with short durations.

const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;
const CONFIG = join(EXAMPLES, "chipset.config.json");
let cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});

async function dataDir(): Promise<string> {
  const { dir, cleanup } = await tempDir("chaos");
  cleanups.push(cleanup);
  return dir;
}

/** Runs an experiment file with the CLI and reads the JSON report it wrote. */
async function run(
  file: string,
  args: string[],
): Promise<{ code: number | null; stderr: string; stdout: string; report: ExperimentReport }> {
  const dir = await dataDir();
  const reportFile = join(dir, "report.json");
  const result = await chipset([
    "--data-dir",
    join(dir, "data"),
    ...args,
    "chaos",
    "run",
    file,
    "--report",
    reportFile,
  ]);
  const report = JSON.parse(readFileSync(reportFile, "utf8")) as ExperimentReport;
  return { ...result, report };
}

describe("chaos experiments against the demo modules", () => {
  it("30% injected errors on an idempotent method with retries: at least 99.9% of calls succeed", async () => {
    const { code, stdout, report } = await run(join(EXAMPLES, "chaos/retries-absorb-errors.yaml"), [
      "--config",
      CONFIG,
    ]);
    expect(code, stdout).toBe(0);
    expect(report.held).toBe(true);
    const during = report.phases.during;
    expect(during.calls.total).toBeGreaterThan(300);
    expect((during.calls.ok + during.calls.fallback) / during.calls.total).toBeGreaterThanOrEqual(0.999);
    // The faults really fired: close to 30% of first attempts, so retries did the work.
    expect(report.faults[0]!.injected).toBeGreaterThan(during.calls.total * 0.2);
    expect(stdout).toMatch(/the hypothesis HELD/);
  });

  it("2 s latency with a 500 ms timeout: the breaker opens, refuses calls without letting them reach codec, and closes after the fault", async () => {
    const { code, stdout, report } = await run(join(EXAMPLES, "chaos/latency-opens-breaker.yaml"), [
      "--config",
      CONFIG,
    ]);
    expect(code, stdout).toBe(0);
    const during = report.phases.during;
    const timedOut = during.calls.byCode.CHIP_ERR_CALL_TIMEOUT!;
    const refused = during.calls.byCode.CHIP_ERR_BREAKER_OPEN!;
    expect(timedOut).toBeGreaterThanOrEqual(3);
    expect(refused).toBeGreaterThan(timedOut);
    // The latency fault sits right in front of codec: the calls it delayed are those that reached
    // codec. Refused calls are not among them; every call codec answered began before the fault.
    const reached = report.faults[0]!.injected;
    expect(reached).toBeGreaterThanOrEqual(3);
    expect(reached + refused).toBeLessThanOrEqual(during.calls.total);
    expect(during.calls.ok).toBe(during.calls.total - timedOut - refused);
    const transitions = report.breakers.transitions.map((t) => t.to);
    expect(transitions[0]).toBe("open");
    expect(transitions.at(-1)).toBe("closed");
    expect(report.breakers.final).toContainEqual({ id: "codec", method: "probe", state: "closed" });
    expect(report.recoveryMs).not.toBeNull();
  });

  it("a process module crashed every 2 s with a fallback: every call is answered", async () => {
    const { code, stdout, report } = await run(join(EXAMPLES, "chaos/crashes-answered-by-fallback.yaml"), [
      "--config",
      CONFIG,
    ]);
    expect(code, stdout).toBe(0);
    for (const phase of ["before", "during", "after"] as const)
      expect(report.phases[phase].calls.failed, phase).toBe(0);
    expect(report.crashes).toBeGreaterThanOrEqual(2);
    expect(report.restarts).toBeGreaterThanOrEqual(2);
    expect(report.fallbackMs["gpu-accel"]).toBeGreaterThan(0);
  });
});

describe("chaos experiments against a worker module", () => {
  it("a worker module crashed every 2 s with a fallback configured: every call is answered by it or its fallback", async () => {
    const dir = await dataDir();
    const sdk = 'import { defineModule } from "chipset/module";\n';
    await writeModule(join(dir, "modules"), {
      name: "ranker",
      version: "1.0.0",
      chipset: {
        kind: "service",
        isolation: "worker",
        fallback: "ranker-lite",
        restart: { policy: "permanent", maxRestarts: 20, withinMs: 60000, initialDelayMs: 50 },
      },
      code: `${sdk}export const module = defineModule({ api: { rank(items) { return { by: "ranker", top: [...items].sort()[0] }; } } });\n`,
    });
    await writeModule(join(dir, "modules"), {
      name: "ranker-lite",
      version: "1.0.0",
      chipset: { kind: "service" },
      code: `${sdk}export const module = defineModule({ api: { rank(items) { return { by: "ranker-lite", top: items[0] }; } } });\n`,
    });
    const config = join(dir, "chipset.config.json");
    await writeFile(config, JSON.stringify({ moduleDirs: ["./modules"] }));
    const experiment = join(dir, "crash-worker.json");
    await writeFile(
      experiment,
      JSON.stringify({
        name: "worker crashes answered by its fallback",
        seed: 5,
        steadyMs: 500,
        durationMs: 4500,
        start: ["ranker", "ranker-lite"],
        load: [{ call: "ranker.rank", args: [["b", "a", "c"]], concurrency: 4 }],
        faults: [
          { kind: "crash", target: { module: "ranker", host: "worker" }, startMs: 250, everyMs: 2000 },
        ],
        hypothesis: {
          steadyState: [{ metric: "successRate", min: 1 }],
          during: [
            { metric: "successRate", min: 1 },
            { metric: "fallbackRate", min: 0.0001 },
            { metric: "crashes", module: "ranker", min: 2 },
          ],
        },
      }),
    );
    const { code, stdout, stderr, report } = await run(experiment, ["--config", config]);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const during = report.phases.during;
    expect(during.calls.failed).toBe(0);
    expect(during.calls.fallback).toBeGreaterThan(0); // some calls really were answered by ranker-lite
    expect(during.calls.ok).toBeGreaterThan(0); // and some by ranker itself, between its crashes
    expect(report.crashes).toBeGreaterThanOrEqual(2);
  });

  it("exits 3 with CHIP_ERR_HYPOTHESIS_FAILED and still writes the report when the hypothesis does not hold", async () => {
    const dir = await dataDir();
    await writeModule(join(dir, "modules"), {
      name: "plain",
      version: "1.0.0",
      chipset: { kind: "service" },
      code: 'import { defineModule } from "chipset/module";\nexport const module = defineModule({ api: { hi() { return 1; } } });\n',
    });
    const config = join(dir, "chipset.config.json");
    await writeFile(config, JSON.stringify({ moduleDirs: ["./modules"] }));
    const experiment = join(dir, "no-retry.yaml");
    await writeFile(
      experiment,
      [
        "name: errors without retries",
        "steadyMs: 200",
        "durationMs: 500",
        "load: [{ call: plain.hi, rate: 100 }]",
        "faults: [{ kind: error, target: { module: plain }, percent: 50 }]",
        "hypothesis: { during: [{ metric: successRate, min: 0.99 }] }",
      ].join("\n"),
    );
    const { code, stderr, report } = await run(experiment, ["--config", config]);
    expect(code).toBe(3); // it ran, and the hypothesis did not hold (1 is for an experiment that could not run)
    expect(stderr).toMatch(/CHIP_ERR_HYPOTHESIS_FAILED: .*during: successRate >= 0.99/);
    expect(report.held).toBe(false);
    expect(report.failed).toEqual([expect.objectContaining({ phase: "during", held: false })]);
    expect(report.phases.during.calls.byCode.CHIP_ERR_CALL_FAILED).toBeGreaterThan(0);
  });

  it("rejects a malformed experiment with CHIP_ERR_EXPERIMENT_INVALID naming the field, and runs nothing", async () => {
    const dir = await dataDir();
    const experiment = join(dir, "bad.yaml");
    await writeFile(
      experiment,
      "name: bad\ndurationMs: 100\nload: [{ call: x.y, rate: 10 }]\nfaults: [{ kind: latency, target: { module: x } }]\nhypothesis: {}\n",
    );
    const result = await chipset(["--data-dir", join(dir, "data"), "chaos", "run", experiment]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /CHIP_ERR_EXPERIMENT_INVALID: .*bad\.yaml.*"faults\.0\.latencyMs" is missing/,
    );
  });
});
