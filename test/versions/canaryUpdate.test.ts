import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ChipsetError,
  ErrorCodes,
  ManualClock,
  type CanaryReport,
  type UpdateOptions,
  type UpdateReport,
} from "../../src/index.js";
import { refusal } from "../updates/fixtures.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { counter } from "./counterModule.js";
import { counterInstances, installCounter, load, runningV1, type Hit } from "./updateFixtures.js";

const h = runtimeHarness();

/** counter@2.0.0 whose `hit` is `body` instead of counting. */
function counterWithHit(body: string): string {
  const code = counter().replace("hit() { count++; return { version: own, count }; },", `${body},`);
  expect(code).not.toBe(counter());
  return code;
}

/** The canary section of the report a failed update carries. */
function canaryOf(err: ChipsetError): CanaryReport {
  const report = err.details["report"] as UpdateReport;
  expect(report.canary).not.toBeNull();
  return report.canary!;
}

describe.each(["inline", "worker", "process"] as const)("canary update (%s)", (isolation) => {
  it("sends a share of the calls to a good new version, then switches to it with no call failed", async () => {
    const clock = new ManualClock();
    const { rt, next } = await runningV1(h, isolation, undefined, undefined, { clock });
    const update = rt.update("counter", {
      from: next,
      graceMs: 0,
      strategy: "canary",
      // Shorter than a window of the hang watchdog (5 s by default), which ticks on this clock too.
      canary: { percent: 50, durationMs: 1_000 },
    });
    // The window closes once both versions have answered enough calls to be judged (one call in
    // two goes to each, and each of the 4 lanes may have one in flight): time passes only when
    // the test says so.
    let closed = false;
    const { results, failures } = await load(rt, update, 4, (hit, all) => {
      if (!closed && hit.version === "2.0.0" && all.filter((r) => r.version === "2.0.0").length >= 25) {
        closed = true;
        clock.advance(1_000);
      }
    });
    const report = await update;
    expect(failures).toEqual([]);
    expect(report).toMatchObject({ from: "1.0.0", to: "2.0.0", outcome: "completed", stateMigrated: true });
    expect(report.steps.map((s) => s.step)).toEqual([
      "resolve",
      "fetch",
      "install",
      "start",
      "verify",
      "canary",
      "switch",
      "grace",
      "retire",
    ]);
    const canary = report.canary!;
    expect(canary.verdict).toBe("passed");
    expect(canary.percent).toBe(50);
    expect(canary.from).toMatchObject({ version: "1.0.0", errors: 0 });
    expect(canary.to).toMatchObject({ version: "2.0.0", errors: 0 });
    expect(canary.to.calls).toBeGreaterThanOrEqual(20);
    expect(canary.from.calls).toBeGreaterThanOrEqual(20);
    // One call in two went to each version (those still in flight when the window closed, one
    // per lane at most, are not counted).
    expect(Math.abs(canary.from.calls - canary.to.calls)).toBeLessThanOrEqual(5);
    expect(results.some((r) => r.version === "1.0.0")).toBe(true);
    expect((await rt.call("counter", "hit")) as Hit).toMatchObject({ version: "2.0.0" });
    expect(counterInstances(rt)).toEqual(["counter@2.0.0"]);
  });

  it("refuses a new version whose calls throw, and sends each of them once to the old one: no call failed", async () => {
    const { rt, next } = await runningV1(
      h,
      isolation,
      counterWithHit('hit() { throw new Error("no counting today"); }'),
    );
    const failed: string[] = [];
    rt.on("update.failed", (e) => failed.push(e.step));
    const update = rt.update("counter", {
      from: next,
      graceMs: 0,
      strategy: "canary",
      canary: { percent: 50, durationMs: 600_000, maxErrorRate: 0.05 },
    });
    const { results, failures } = await load(rt, update);
    const err = await refusal(update);
    expect(failures).toEqual([]);
    expect(err.code).toBe(ErrorCodes.UPDATE_FAILED);
    expect(err.details["step"]).toBe("canary");
    expect(err.message).toContain("error rate 100%");
    expect(err.message).toContain("counter@1.0.0 serves as before");
    expect(failed).toEqual(["canary"]);
    const canary = canaryOf(err);
    expect(canary.verdict).toMatch(/^failed: error rate 100% \(\d+ of \d+ calls\) is above maxErrorRate 5%/);
    expect(canary.to.errors).toBe(canary.to.calls);
    expect(canary.to.calls).toBeGreaterThanOrEqual(20);
    expect(canary.from.errors).toBe(0);
    // Every call was answered by the old version, and counted there once.
    expect(results.every((r) => r.version === "1.0.0")).toBe(true);
    const counts = results.map((r) => r.count).sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: results.length }, (_, i) => i + 2));
    expect(await rt.call("counter", "hit")).toEqual({ version: "1.0.0", count: results.length + 2 });
    expect(counterInstances(rt)).toEqual(["counter@1.0.0"]);
  });

  it("refuses a new version whose p99 is above maxP99Ms, the old one serving", async () => {
    const slow = counterWithHit(
      "async hit() { await new Promise((r) => setTimeout(r, 40)); count++; return { version: own, count }; }",
    );
    const { rt, next } = await runningV1(h, isolation, slow);
    const update = rt.update("counter", {
      from: next,
      graceMs: 0,
      strategy: "canary",
      canary: { percent: 50, durationMs: 600_000, maxP99Ms: 5 },
    });
    const { failures } = await load(rt, update);
    const err = await refusal(update);
    expect(failures).toEqual([]);
    expect(err.details["step"]).toBe("canary");
    const canary = canaryOf(err);
    expect(canary.verdict).toContain("maxP99Ms 5 ms");
    expect(canary.to.errors).toBe(0);
    expect((await rt.call("counter", "hit")) as Hit).toMatchObject({ version: "1.0.0" });
    expect(counterInstances(rt)).toEqual(["counter@1.0.0"]);
  });

  it("refuses a canary that got no calls as inconclusive, the old version serving", async () => {
    const { rt, next } = await runningV1(h, isolation);
    const err = await refusal(
      rt.update("counter", { from: next, graceMs: 0, strategy: "canary", canary: { durationMs: 50 } }),
    );
    expect(err.code).toBe(ErrorCodes.UPDATE_FAILED);
    expect(err.details["step"]).toBe("canary");
    expect(err.message).toContain("inconclusive");
    expect(canaryOf(err)).toMatchObject({
      verdict: "inconclusive",
      percent: 10,
      to: { version: "2.0.0", calls: 0, errors: 0, p99Ms: null },
    });
    expect(await rt.call("counter", "hit")).toEqual({ version: "1.0.0", count: 2 });
    expect(counterInstances(rt)).toEqual(["counter@1.0.0"]);
  });

  it("stops the canary of a new version that crashes, its calls in flight sent to the old one: no call failed", async () => {
    // Each call to the new version never answers, and the version crashes right after its first
    // one. Once: a throw from each call's timer could fire after the test's runtime has closed
    // (an inline module's timers outlive it), and nothing would own it then.
    const crashing = counterWithHit(
      'hit() { if (count++ === 0) setTimeout(() => { throw new Error("crashed in the canary"); }, 0); return new Promise(() => {}); }',
    );
    const { rt, next } = await runningV1(h, isolation, crashing);
    const update = rt.update("counter", {
      from: next,
      graceMs: 0,
      strategy: "canary",
      canary: { percent: 50, durationMs: 600_000 },
    });
    const { results, failures } = await load(rt, update);
    const err = await refusal(update);
    expect(failures).toEqual([]);
    expect(err.details["step"]).toBe("canary");
    expect(canaryOf(err).verdict).toMatch(/^failed: counter@2\.0\.0 crashed during the canary/);
    expect(results.every((r) => r.version === "1.0.0")).toBe(true);
    expect(await rt.call("counter", "hit")).toEqual({ version: "1.0.0", count: results.length + 2 });
    expect(counterInstances(rt)).toEqual(["counter@1.0.0"]);
  });
});

describe("canary update", () => {
  it("stops a canary whose signal fires, the old version serving and no call failed", async () => {
    const { rt, next } = await runningV1(h, "worker");
    const controller = new AbortController();
    const update = rt.update("counter", {
      from: next,
      graceMs: 0,
      strategy: "canary",
      canary: { percent: 50, durationMs: 600_000 },
      signal: controller.signal,
    });
    const { failures } = await load(rt, update, 4, (hit) => {
      if (hit.version === "2.0.0") controller.abort(new Error("operator changed their mind"));
    });
    const err = await refusal(update);
    expect(failures).toEqual([]);
    expect(err.code).toBe(ErrorCodes.UPDATE_FAILED);
    expect(err.details["step"]).toBe("canary");
    expect((err.cause as ChipsetError).code).toBe(ErrorCodes.ABORTED);
    expect(canaryOf(err).verdict).toBe("inconclusive");
    expect((await rt.call("counter", "hit")) as Hit).toMatchObject({ version: "1.0.0" });
    expect(counterInstances(rt)).toEqual(["counter@1.0.0"]);
  });

  it("sends a share of a dependent's calls to the new version when its range accepts it", async () => {
    const clock = new ManualClock();
    const next = installCounter(h, "worker");
    const via = `let c; export const module = defineModule({ init(ctx) { c = ctx.use("counter"); }, api: { viaCounter() { return c.hit(); } } });`;
    h.ws.module({ name: "user", chipset: { requires: { counter: ">=1.0.0" } }, code: via });
    const rt = h.open({
      clock,
      moduleDirs: [join(h.ws.modulesDir, "counter-1.0.0"), join(h.ws.modulesDir, "user-1.0.0")],
    });
    expect(await rt.call("user", "viaCounter")).toEqual({ version: "1.0.0", count: 1 });
    const versions: string[] = [];
    rt.on("module.started", (e) => {
      if (e.version !== "2.0.0") return;
      // The canary begins once the new version is verified: call through the dependent until
      // it has answered enough calls, then let the window end.
      void (async () => {
        while (versions.filter((v) => v === "2.0.0").length < 20)
          versions.push(((await rt.call("user", "viaCounter")) as Hit).version);
        clock.advance(1_000);
      })();
    });
    const report = await rt.update("counter", {
      from: next,
      graceMs: 0,
      strategy: "canary",
      canary: { percent: 100, durationMs: 1_000, maxP99Ms: 60_000 },
    });
    expect(report.canary).toMatchObject({ verdict: "passed", to: { calls: 20, errors: 0 } });
    expect(versions.filter((v) => v === "2.0.0")).toHaveLength(20);
    expect(((await rt.call("user", "viaCounter")) as Hit).version).toBe("2.0.0");
  });

  it.each<[string, UpdateOptions, string]>([
    ["a share of no calls", { strategy: "canary", canary: { percent: 0 } }, "canary.percent"],
    ["a share over 100%", { strategy: "canary", canary: { percent: 101 } }, "canary.percent"],
    ["an empty window", { strategy: "canary", canary: { durationMs: 0 } }, "canary.durationMs"],
    ["an error rate over 1", { strategy: "canary", canary: { maxErrorRate: 1.5 } }, "canary.maxErrorRate"],
    ["a p99 bound of 0 ms", { strategy: "canary", canary: { maxP99Ms: 0 } }, "canary.maxP99Ms"],
    ["an unknown strategy", { strategy: "rolling" as "canary" }, "strategy"],
    ["canary settings without the canary strategy", { canary: { percent: 5 } }, "canary"],
  ])("refuses %s before anything happens, naming the field", async (_what, options, field) => {
    const { rt, next } = await runningV1(h, "inline");
    const started: string[] = [];
    rt.on("update.started", (e) => started.push(e.id));
    const err = await refusal(rt.update("counter", { from: next, ...options }));
    expect(err.code).toBe(ErrorCodes.OPTIONS_INVALID);
    expect(err.details["field"]).toBe(field);
    expect(err.message).toContain(`"${field}"`);
    expect(started).toEqual([]);
    expect(rt.queries.info("counter").versions).toEqual(["1.0.0"]);
    expect(await rt.call("counter", "hit")).toEqual({ version: "1.0.0", count: 2 });
  });
});
