import { describe, expect, it } from "vitest";
import { ManualClock, type Runtime, type RuntimeEvents } from "../../src/index.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import type { ChipsetManifest, Isolation } from "../../src/vocabulary/manifest.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { flush, next } from "./helpers.js";
import { followEvents } from "../../src/cli/describeEvent.js";
import { describeInfo } from "../../src/cli/describeInfo.js";

const h = runtimeHarness();

/**
 * A module whose probe methods answer from a plan: each call of `alive`, `ready` or `started`
 * takes the next answer of its plan (`"hang"` never answers), and `true` once the plan is used
 * up. The plans live in the module's own memory, so a restarted module answers `true` again.
 */
const svc = (isolation: Isolation, extra: Partial<ChipsetManifest>) =>
  h.ws.module({
    name: "svc",
    chipset: { isolation, ...extra },
    code: `
      const plans = { alive: [], ready: [], started: [] };
      const probed = { alive: 0, ready: 0, started: 0 };
      const answer = (name) => {
        probed[name]++;
        const next = plans[name].length > 0 ? plans[name].shift() : true;
        return next === "hang" ? new Promise(() => {}) : next;
      };
      export const module = defineModule({
        api: {
          plan(name, answers) { plans[name] = answers; },
          probed(name) { return probed[name]; },
          alive() { return answer("alive"); },
          ready() { return answer("ready"); },
          started() { return answer("started"); },
          work() { return "svc"; },
        },
      });`,
  });

/** The module that answers for `svc` while it is out of service. */
const backup = () =>
  h.ws.module({
    name: "backup",
    code: `export const module = defineModule({ api: { work() { return "backup"; } } });`,
  });

type ProbeEvent = RuntimeEvents["module.probe"];

/** A runtime on a manual clock: probes run only when the test moves time. */
function open(): { rt: Runtime; clock: ManualClock } {
  const clock = new ManualClock();
  const rt = h.open({ clock, random: () => 0, hosts: { pool: { worker: 0, process: 0 } } });
  return { rt, clock };
}

/** Moves the clock by `ms` and waits for the next `probe` result. */
function probeAfter(rt: Runtime, clock: ManualClock, ms: number, probe: string): Promise<ProbeEvent> {
  const seen = next(rt, "module.probe", (e) => e.probe === probe);
  clock.advance(ms);
  return seen;
}

describe.each(["inline", "worker"] as const)("probes of an %s module", (isolation) => {
  it("restarts a module whose liveness probe fails failureThreshold times in a row, through its supervisor", async () => {
    svc(isolation, {
      probes: { liveness: { method: "alive", periodMs: 1000, timeoutMs: 500, failureThreshold: 3 } },
    });
    const { rt, clock } = open();
    await rt.call("svc", "plan", ["alive", [false, false, false]]);
    const results: ProbeEvent[] = [];
    rt.on("module.probe", (e) => results.push(e));
    const crashed = next(rt, "module.crashed");
    const restarting = next(rt, "module.restarting");
    await probeAfter(rt, clock, 0, "liveness");
    await probeAfter(rt, clock, 1000, "liveness");
    expect(rt.queries.info("svc").state).toBe("running"); // two failures are not enough
    await probeAfter(rt, clock, 1000, "liveness");
    expect(results.map((r) => [r.ok, r.consecutive])).toEqual([
      [false, 1],
      [false, 2],
      [false, 3],
    ]);
    expect(results[0]!.error).toBe("alive() answered false");
    const crash = await crashed;
    expect(crash.kind).toBe("liveness");
    expect(crash.error.code).toBe(ErrorCodes.MODULE_CRASHED);
    expect(crash.error.message).toContain("svc@1.0.0 crashed (liveness): its liveness probe failed 3 times");
    expect(await restarting).toMatchObject({ attempt: 1, delayMs: 100 });
    const restarted = next(rt, "module.restarted");
    clock.advance(100);
    await restarted;
    // A fresh copy, probed again from the start: it passes.
    expect((await probeAfter(rt, clock, 0, "liveness")).ok).toBe(true);
    expect(await rt.call("svc", "work")).toBe("svc");
    expect(rt.queries.info("svc").crashes).toMatchObject([
      { kind: "liveness", action: "restart", delayMs: 100 },
    ]);
  });

  it("counts a probe that does not answer within timeoutMs as a failure", async () => {
    svc(isolation, {
      probes: { liveness: { method: "alive", periodMs: 1000, timeoutMs: 500, failureThreshold: 2 } },
    });
    const { rt, clock } = open();
    await rt.call("svc", "plan", ["alive", ["hang", "hang"]]);
    const crashed = next(rt, "module.crashed");
    clock.advance(0); // the first probe begins, and hangs
    const first = await probeAfter(rt, clock, 500, "liveness");
    expect(first).toMatchObject({
      ok: false,
      consecutive: 1,
      error: "did not answer within 500 ms (timeoutMs)",
    });
    // The next probe begins a period after the first began, and times out the same way.
    clock.advance(500);
    const second = await probeAfter(rt, clock, 500, "liveness");
    expect(second).toMatchObject({ ok: false, consecutive: 2 });
    expect((await crashed).kind).toBe("liveness");
  });

  it("takes a module whose readiness probe fails out of service (calls go to its fallback) and back after successThreshold passes", async () => {
    backup();
    svc(isolation, {
      fallback: "backup",
      probes: { readiness: { method: "ready", periodMs: 1000, failureThreshold: 2, successThreshold: 2 } },
    });
    const { rt, clock } = open();
    await rt.call("svc", "plan", ["ready", [false, false]]);
    const fallbacks: boolean[] = [];
    rt.on("module.fallback", (e) => fallbacks.push(e.active));
    const unready = next(rt, "module.unready");
    await probeAfter(rt, clock, 0, "readiness");
    expect(await rt.call("svc", "work")).toBe("svc"); // one failure: still in service
    await probeAfter(rt, clock, 1000, "readiness");
    const out = await unready;
    expect(out).toMatchObject({ id: "svc", failures: 2 });
    expect(out.error.code).toBe(ErrorCodes.MODULE_NOT_READY);
    expect(rt.queries.info("svc").state).toBe("running");
    expect(rt.queries.list().find((m) => m.id === "svc")?.ready).toBe(false);
    const answered = await rt.callDetailed("svc", "work");
    expect(answered).toMatchObject({ ok: true, value: "backup", answeredBy: "backup" });

    const ready = next(rt, "module.ready");
    expect((await probeAfter(rt, clock, 1000, "readiness")).ok).toBe(true);
    expect(await rt.call("svc", "work")).toBe("backup"); // one pass of the two it needs
    await probeAfter(rt, clock, 1000, "readiness");
    expect(await ready).toMatchObject({ successes: 2, unreadyMs: 2000 });
    expect(await rt.call("svc", "work")).toBe("svc");
    expect(fallbacks).toEqual([true, false]);
    expect(rt.queries.info("svc").instance?.probes).toEqual({
      startup: "passed",
      ready: true,
      failures: { readiness: 0 },
    });
    expect(rt.queries.info("svc").crashes).toEqual([]); // never restarted
  });
});

describe("readiness without a fallback", () => {
  it("fails calls at once with MODULE_NOT_READY naming the readiness probe, without retrying them", async () => {
    svc("inline", {
      probes: { readiness: { method: "ready", periodMs: 1000, failureThreshold: 1 } },
      calls: { retry: { maxAttempts: 3 }, idempotent: true },
    });
    const { rt, clock } = open();
    await rt.call("svc", "plan", ["ready", [{ ok: false, detail: "database unreachable" }]]);
    const unready = next(rt, "module.unready");
    clock.advance(0);
    await unready;
    const outcome = await rt.callDetailed("svc", "work");
    expect(outcome.ok).toBe(false);
    expect(outcome.attempts).toBe(1);
    expect(outcome.error?.code).toBe(ErrorCodes.MODULE_NOT_READY);
    expect(outcome.error?.message).toContain(
      "svc@1.0.0 is out of service: its readiness probe failed 1 times in a row (last: database unreachable)",
    );
    expect(outcome.error?.details).toMatchObject({ probe: "readiness", failures: 1 });
    expect(describeInfo(rt.queries.info("svc"))).toContainEqual(
      expect.stringMatching(/^ {2}probes +readiness ready\(\); OUT OF SERVICE \(readiness failing\)$/),
    );
  });
});

describe("a health probe", () => {
  it("judges the module by its health(): { ok: false } fails it, with its detail as the reason", async () => {
    h.ws.module({
      name: "svc",
      chipset: { isolation: "worker", probes: { readiness: { health: true, failureThreshold: 1 } } },
      code: `
        let healthy = false;
        export const module = defineModule({
          health() { return healthy ? { ok: true } : { ok: false, detail: "database unreachable" }; },
          api: { heal() { healthy = true; } },
        });`,
    });
    const { rt, clock } = open();
    await rt.start("svc");
    const failed = await probeAfter(rt, clock, 0, "readiness");
    expect(failed).toMatchObject({ ok: false, error: "database unreachable" });
    await expect(rt.call("svc", "heal")).rejects.toMatchObject({ code: ErrorCodes.MODULE_NOT_READY });
    expect((await probeAfter(rt, clock, 10_000, "readiness")).ok).toBe(false); // default periodMs
  });
});

describe("what chipset start prints", () => {
  it("says when a probe fails, when a module goes out of service and when it is back, and not when a probe passes", async () => {
    svc("inline", { probes: { readiness: { method: "ready", periodMs: 1000, failureThreshold: 1 } } });
    const { rt, clock } = open();
    const lines: string[] = [];
    followEvents(rt, (line) => lines.push(line));
    await rt.call("svc", "plan", ["ready", [false]]);
    lines.length = 0;
    await probeAfter(rt, clock, 0, "readiness");
    await probeAfter(rt, clock, 1000, "readiness");
    expect(lines).toEqual([
      "probe failed: readiness of svc@1.0.0 (1 in a row): ready() answered false",
      "NOT READY: svc@1.0.0 is out of service after 1 failed readiness probes",
      "ready: svc@1.0.0 serves again after 1 passed readiness probes (out for 1 s)",
    ]);
  });
});

describe("a startup probe", () => {
  const probes = (failureThreshold: number): ChipsetManifest["probes"] => ({
    startup: { method: "started", periodMs: 1000, failureThreshold },
    liveness: { method: "alive", periodMs: 1000, failureThreshold: 1 },
    readiness: { method: "ready", periodMs: 1000, failureThreshold: 1 },
  });

  it("holds liveness and readiness back until it passes", async () => {
    svc("worker", { probes: probes(5) });
    const { rt, clock } = open();
    await rt.call("svc", "plan", ["started", [false, false]]);
    const seen: string[] = [];
    rt.on("module.probe", (e) => seen.push(`${e.probe}:${e.ok}`));
    await probeAfter(rt, clock, 0, "startup");
    await probeAfter(rt, clock, 1000, "startup");
    expect(rt.queries.info("svc").instance?.probes).toMatchObject({ startup: "pending" });
    expect(rt.queries.list().find((m) => m.id === "svc")?.ready).toBe(false);
    await probeAfter(rt, clock, 1000, "startup");
    const liveness = next(rt, "module.probe", (e) => e.probe === "liveness");
    const readiness = next(rt, "module.probe", (e) => e.probe === "readiness");
    clock.advance(0);
    await Promise.all([liveness, readiness]);
    expect(seen).toEqual([
      "startup:false",
      "startup:false",
      "startup:true",
      "liveness:true",
      "readiness:true",
    ]);
    expect(await rt.call("svc", "probed", ["alive"])).toBe(1);
    expect(rt.queries.list().find((m) => m.id === "svc")?.ready).toBe(true);
  });

  it("restarts a module that never passes it, within failureThreshold × periodMs", async () => {
    svc("inline", { probes: probes(3) });
    const { rt, clock } = open();
    await rt.call("svc", "plan", ["started", [false, false, false]]);
    const crashed = next(rt, "module.crashed");
    await probeAfter(rt, clock, 0, "startup");
    await probeAfter(rt, clock, 1000, "startup");
    await probeAfter(rt, clock, 1000, "startup");
    const crash = await crashed;
    expect(crash.kind).toBe("startup");
    expect(crash.error.message).toContain(
      "its startup probe did not pass within failureThreshold 3 × periodMs 1000 ms",
    );
    expect(clock.now()).toBe(2000);
    expect(await rt.call("svc", "probed", ["alive"]).catch((e: { code: string }) => e.code)).toBe(
      ErrorCodes.MODULE_DOWN,
    );
    const restarted = next(rt, "module.restarted");
    clock.advance(100);
    await restarted;
    expect(rt.queries.info("svc").crashes).toMatchObject([{ kind: "startup", action: "restart" }]);
  });
});

describe("modules without probes, and stopped modules", () => {
  it("runs nothing for a module whose manifest declares no probes", async () => {
    svc("inline", {});
    const { rt, clock } = open();
    const before = clock.pending;
    expect(await rt.call("svc", "work")).toBe("svc");
    let probed = 0;
    rt.on("module.probe", () => probed++);
    clock.advance(60_000);
    await flush();
    expect(probed).toBe(0);
    expect(await rt.call("svc", "probed", ["alive"])).toBe(0);
    expect(rt.queries.info("svc").instance?.probes).toBeNull();
    expect(rt.queries.list().find((m) => m.id === "svc")?.ready).toBe(true);
    expect(clock.pending).toBe(before); // no probe timer waits
  });

  it("stops probing a module when it stops, and puts it back in service", async () => {
    svc("inline", { probes: { readiness: { method: "ready", periodMs: 1000, failureThreshold: 1 } } });
    const { rt, clock } = open();
    await rt.call("svc", "plan", ["ready", [false]]);
    const unready = next(rt, "module.unready");
    clock.advance(0);
    await unready;
    await rt.stop("svc");
    let probed = 0;
    rt.on("module.probe", () => probed++);
    clock.advance(10_000);
    await flush();
    expect(probed).toBe(0);
    // Started afresh, it serves: readiness is judged again from the start.
    expect(await rt.call("svc", "work")).toBe("svc");
  });
});
