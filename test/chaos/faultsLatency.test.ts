import { describe, expect, it } from "vitest";
import { defineModule, ErrorCodes, ManualClock, type Runtime } from "../../src/index.js";
import { chaosOf } from "../../src/chaos.js";
import type { Latency } from "../../src/chaos/faults.js";
import { chaosHarness, flush, inline, isolated, next, settleTimes, watch } from "./faultFixtures.js";

const h = chaosHarness();

/** A runtime on a manual clock with inline module `svc` (`echo` answers its argument), running. */
async function svcOnClock(): Promise<{ rt: Runtime; clock: ManualClock }> {
  const clock = new ManualClock();
  const rt = h.open({ clock });
  inline(rt, "svc", { echo: (x: unknown) => x });
  await rt.start("svc");
  return { rt, clock };
}

describe("latency", () => {
  it("delays each call by a fixed latency on the runtime's clock, and only the calls it targets", async () => {
    const { rt, clock } = await svcOnClock();
    inline(rt, "other", { echo: (x: unknown) => x });
    await rt.start("other");
    chaosOf(rt).enable(1);
    const fault = chaosOf(rt).inject({ kind: "latency", latencyMs: 50, target: { module: "svc" } });
    const slow = watch(rt.call("svc", "echo", ["late"]));
    const fast = watch(rt.call("other", "echo", ["now"]));
    expect(await settleTimes(clock, [slow, fast])).toEqual([50, 0]);
    expect(slow.value).toBe("late");
    expect(fault.injected).toBe(1);
    fault.dispose();
    const after = watch(rt.call("svc", "echo", ["again"]));
    expect(await settleTimes(clock, [after])).toEqual([0]);
  });

  /** The ms after which each of 12 concurrent calls answered, with `latency` drawn under `seed`. */
  async function delays(seed: number, latencyMs: Latency): Promise<number[]> {
    const { rt, clock } = await svcOnClock();
    chaosOf(rt).enable(seed);
    chaosOf(rt).inject({ kind: "latency", latencyMs, target: { module: "svc" } });
    const calls = Array.from({ length: 12 }, (_, i) => watch(rt.call("svc", "echo", [i])));
    const times = await settleTimes(clock, calls);
    expect(calls.map((c) => c.value)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    await rt.close();
    return times;
  }

  it.each<[string, Latency, (ms: number) => boolean]>([
    ["uniform", { uniform: { minMs: 10, maxMs: 60 } }, (ms) => ms >= 10 && ms <= 60],
    ["normal", { normal: { meanMs: 40, sdMs: 10 } }, (ms) => ms >= 0 && ms <= 100],
    ["exponential", { exponential: { meanMs: 30 } }, (ms) => ms >= 0],
  ])(
    "draws %s delays that repeat exactly under the same seed and differ under another",
    async (_, latency, inRange) => {
      const first = await delays(7, latency);
      const again = await delays(7, latency);
      const other = await delays(8, latency);
      expect(again).toEqual(first);
      expect(other).not.toEqual(first);
      expect(new Set(first).size).toBeGreaterThan(4); // drawn, not one fixed delay
      expect(first.every(inRange)).toBe(true);
    },
  );

  it("never calls the module late for a delayed call that timed out or whose caller aborted", async () => {
    const clock = new ManualClock();
    const rt = h.open({ clock });
    let served = 0;
    inline(
      rt,
      "svc",
      { echo: (x: unknown) => (served++, x) },
      { calls: { methods: { echo: { timeoutMs: 100 } } } },
    );
    inline(rt, "free", { echo: (x: unknown) => (served++, x) });
    chaosOf(rt).enable(1);
    chaosOf(rt).inject({ kind: "latency", latencyMs: 500 });
    await rt.start("svc");
    await rt.start("free");
    const timedOut = watch(rt.call("svc", "echo", [1]));
    const caller = new AbortController();
    const aborted = watch(rt.call("free", "echo", [2], { signal: caller.signal }));
    clock.advance(50);
    caller.abort(new Error("enough"));
    expect(await settleTimes(clock, [timedOut, aborted])).toEqual([50, 0]);
    expect(timedOut.error).toMatchObject({ code: ErrorCodes.CALL_TIMEOUT });
    expect(aborted.error).toMatchObject({ code: ErrorCodes.ABORTED });
    clock.advance(1000); // past both delays
    await flush();
    expect(served).toBe(0);
  });
});

/**
 * A module changes state while one of its calls is held back by a latency fault. Whatever the
 * design (the delay counts as in flight, so stop and pause wait for it; or the call is checked
 * again once the delay is over), the module must not serve it while stopped, paused or crashed,
 * and the caller must learn that the module is unavailable, not that a method is missing.
 */
describe("a call delayed by latency while its module changes state", () => {
  /** Inline `svc` whose `work` answers the state its own hooks last put it in; restarts after 1 s. */
  async function tracked() {
    const clock = new ManualClock();
    const rt = h.open({ clock });
    const served: string[] = [];
    let state = "new";
    const set = (s: string) => () => void (state = s);
    rt.register(
      { name: "svc", version: "1.0.0", chipset: { kind: "test", restart: { initialDelayMs: 1000 } } },
      defineModule({
        start: set("running"),
        pause: set("paused"),
        resume: set("running"),
        stop: set("stopped"),
        api: { work: () => (served.push(state), state) },
      }),
    );
    await rt.start("svc");
    chaosOf(rt).enable(1);
    chaosOf(rt).inject({ kind: "latency", latencyMs: 100, target: { module: "svc" } });
    return { rt, clock, served, call: watch(rt.call("svc", "work")) };
  }

  const unavailable: string[] = [
    ErrorCodes.MODULE_UNAVAILABLE,
    ErrorCodes.MODULE_DOWN,
    ErrorCodes.MODULE_CRASHED,
  ];

  it("is not served by the module after its stop hook ran", async () => {
    const { rt, clock, served, call } = await tracked();
    await settleTimes(clock, [watch(rt.stop("svc")), call]);
    expect(served).not.toContain("stopped");
    if (call.error === undefined)
      expect(call.value).toBe("running"); // stop waited for it
    else expect(call.error).toMatchObject({ code: ErrorCodes.MODULE_UNAVAILABLE });
  });

  it("is not served while the module is paused, and is answered once it resumes", async () => {
    const { rt, clock, served, call } = await tracked();
    await settleTimes(clock, [watch(rt.pause("svc"))]);
    clock.advance(500);
    await flush();
    expect(served).not.toContain("paused");
    await rt.resume("svc");
    await settleTimes(clock, [call]);
    expect(served).toEqual(["running"]);
    expect(call.value).toBe("running");
  });

  it("fails as unavailable, not as a missing method, when the module was unloaded meanwhile", async () => {
    const { rt, clock, served, call } = await tracked();
    await settleTimes(clock, [watch(rt.unload("svc")), call]);
    if (call.error === undefined)
      expect(served).toEqual(["running"]); // unload waited for it
    else expect(unavailable).toContain((call.error as { code?: string }).code);
  });

  it("is not served by an inline module that crashed meanwhile and is not restarted yet", async () => {
    const { rt, clock, served, call } = await tracked();
    const crashed = next(rt, "module.crashed");
    chaosOf(rt).crash({ module: "svc" });
    await crashed;
    await settleTimes(clock, [call]); // 100 ms: the restart is due only after 1000
    expect(rt.queries.info("svc").instance?.state).toBe("crashed");
    expect(served).toEqual([]);
    expect(unavailable).toContain((call.error as { code?: string } | undefined)?.code);
  });

  it("fails as unavailable, not as a missing method, when its worker host crashed meanwhile", async () => {
    isolated(h.ws, "w", "worker", { restart: { initialDelayMs: 1000 } });
    const clock = new ManualClock();
    const rt = h.open({ clock });
    await rt.start("w");
    chaosOf(rt).enable(1);
    chaosOf(rt).inject({ kind: "latency", latencyMs: 100, target: { module: "w" } });
    const call = watch(rt.call("w", "ping"));
    const crashed = next(rt, "module.crashed");
    chaosOf(rt).crash({ module: "w" });
    await crashed;
    await settleTimes(clock, [call]);
    expect(unavailable).toContain((call.error as { code?: string } | undefined)?.code);
  });
});
