import { describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import type { ProbesManifest } from "../vocabulary/manifest.js";
import { ProbeRunner, type ProbeResult, type ProbeTarget } from "./ProbeRunner.js";
import type { ProbeSettings } from "./probeSettings.js";

/** A target whose checks answer from `answers` per method (`true` once used up, `"hang"` never). */
function target(answers: Record<string, Array<boolean | "hang">>, probeable = () => true) {
  const log: string[] = [];
  const results: ProbeResult[] = [];
  const checks: Array<{ method: string; at: number; signal: AbortSignal }> = [];
  const clock = new ManualClock();
  const t: ProbeTarget = {
    check(settings: ProbeSettings, signal: AbortSignal) {
      const method = "method" in settings.check ? settings.check.method : "health";
      checks.push({ method, at: clock.now(), signal });
      const next = answers[method]?.shift() ?? true;
      if (next === "hang") return new Promise<void>(() => {});
      return next ? Promise.resolve() : Promise.reject(new Error(`${method} failed`));
    },
    probeable,
    reported: (r) => results.push(r),
    failed: (probe, failures, error) => log.push(`failed ${probe} ${failures} ${error.message}`),
    readiness: (ready, n) => log.push(`${ready ? "ready" : "unready"} ${n}`),
  };
  return { t, log, results, checks, clock };
}

/** Lets the settled checks' callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

async function advance(clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms);
  await settle();
}

describe("ProbeRunner", () => {
  it("runs each probe a period after the previous one began, never two at once", async () => {
    const { t, checks, clock } = target({ alive: ["hang"] });
    const probes: ProbesManifest = { liveness: { method: "alive", periodMs: 1000, timeoutMs: 1500 } };
    new ProbeRunner(clock, probes, t).start();
    await advance(clock, 0);
    await advance(clock, 1000); // still in flight: no second check
    expect(checks.map((c) => c.at)).toEqual([0]);
    await advance(clock, 500); // timed out at 1500: the next one is due at once
    await advance(clock, 0);
    expect(checks.map((c) => c.at)).toEqual([0, 1500]);
    expect(checks[0]!.signal.aborted).toBe(true);
  });

  it("skips, without counting, probes due while the target cannot be probed", async () => {
    let paused = true;
    const { t, results, clock } = target({ alive: [false] }, () => !paused);
    new ProbeRunner(clock, { liveness: { method: "alive", periodMs: 1000 } }, t).start();
    await advance(clock, 0);
    await advance(clock, 1000);
    expect(results).toEqual([]);
    paused = false;
    await advance(clock, 1000);
    expect(results).toMatchObject([{ probe: "liveness", ok: false, consecutive: 1 }]);
  });

  it("gives readiness back after successThreshold passes in a row, a failure in between starting the count again", async () => {
    const { t, log, clock } = target({ ready: [false, true, false, true, true] });
    const probes: ProbesManifest = {
      readiness: { method: "ready", periodMs: 1000, failureThreshold: 1, successThreshold: 2 },
    };
    const runner = new ProbeRunner(clock, probes, t);
    runner.start();
    await advance(clock, 0);
    expect(runner.status()).toEqual({ startup: "passed", ready: false, failures: { readiness: 1 } });
    for (let i = 0; i < 4; i++) await advance(clock, 1000);
    expect(log).toEqual(["unready 1", "ready 2"]);
  });

  it("stops at once: no timer left, and the check in flight is given up", async () => {
    const { t, checks, clock } = target({ alive: ["hang"] });
    const runner = new ProbeRunner(clock, { liveness: { method: "alive" } }, t);
    runner.start();
    await advance(clock, 0);
    runner.stop();
    expect(clock.pending).toBe(0);
    expect(checks[0]!.signal.aborted).toBe(true);
  });
});
