import { describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import { policyDefaults, type BreakerSettings } from "./CallsConfig.js";
import { CircuitBreaker, Pass, type BreakerTransition } from "./CircuitBreaker.js";

function breakerOf(overrides: Partial<BreakerSettings> = {}) {
  const clock = new ManualClock();
  const changes: BreakerTransition[] = [];
  const settings: BreakerSettings = { ...policyDefaults.breaker, failureRate: 0, ...overrides };
  const breaker = new CircuitBreaker(settings, clock, (t) => changes.push(t));
  return { clock, breaker, changes };
}

/** Lets one call through and reports `ok` for it. */
function call(breaker: CircuitBreaker, ok: boolean): Pass {
  const pass = breaker.pass();
  if (pass === Pass.Refuse) return pass;
  if (ok) breaker.success(pass);
  else breaker.failure(pass);
  return pass;
}

describe("CircuitBreaker", () => {
  describe("closed", () => {
    it("lets calls through", () => {
      const { breaker } = breakerOf();
      expect(breaker.pass()).toBe(Pass.Call);
      expect(breaker.state.name).toBe("closed");
    });

    it("opens after five failures in a row", () => {
      const { breaker, changes } = breakerOf({ consecutiveFailures: 5 });
      for (let i = 0; i < 4; i++) call(breaker, false);
      expect(breaker.state.name).toBe("closed");
      call(breaker, false);
      expect(breaker.state.name).toBe("open");
      expect(changes).toEqual([
        { from: "closed", to: "open", reason: "consecutive-failures", failures: 5, rate: 1 },
      ]);
    });

    it("starts counting again after a success", () => {
      const { breaker } = breakerOf({ consecutiveFailures: 3 });
      call(breaker, false);
      call(breaker, false);
      call(breaker, true);
      call(breaker, false);
      call(breaker, false);
      expect(breaker.state.name).toBe("closed");
      call(breaker, false);
      expect(breaker.state.name).toBe("open");
    });

    it("never opens on consecutive failures when that trigger is 0", () => {
      const { breaker } = breakerOf({ consecutiveFailures: 0, failureRate: 0 });
      for (let i = 0; i < 100; i++) call(breaker, false);
      expect(breaker.state.name).toBe("closed");
    });

    it("opens when the failure rate over the window reaches the threshold", () => {
      const { breaker, clock, changes } = breakerOf({
        consecutiveFailures: 0,
        failureRate: 0.5,
        minCalls: 4,
        windowMs: 1_000,
      });
      call(breaker, true);
      call(breaker, false);
      call(breaker, true);
      clock.advance(10);
      call(breaker, false);
      expect(breaker.state.name).toBe("open");
      expect(changes).toEqual([
        { from: "closed", to: "open", reason: "failure-rate", failures: 1, rate: 0.5 },
      ]);
    });

    it("does not open on the failure rate before the window holds minCalls calls", () => {
      const { breaker } = breakerOf({
        consecutiveFailures: 0,
        failureRate: 0.5,
        minCalls: 5,
        windowMs: 1_000,
      });
      for (let i = 0; i < 4; i++) call(breaker, false);
      expect(breaker.state.name).toBe("closed");
      call(breaker, false);
      expect(breaker.state.name).toBe("open");
    });

    it("stays closed while the failure rate stays below the threshold", () => {
      const settings = { consecutiveFailures: 0, failureRate: 0.5, minCalls: 4, windowMs: 1_000 };
      const { breaker: third } = breakerOf(settings);
      const { breaker: twoThirds } = breakerOf(settings);
      for (let i = 0; i < 30; i++) {
        call(third, i % 3 !== 2);
        call(twoThirds, i % 3 === 2);
      }
      expect(third.state.name).toBe("closed");
      expect(twoThirds.state.name).toBe("open");
    });

    it("lets old failures age out of the window", () => {
      const { breaker, clock } = breakerOf({
        consecutiveFailures: 0,
        failureRate: 0.5,
        minCalls: 4,
        windowMs: 1_000,
      });
      call(breaker, false);
      call(breaker, false);
      call(breaker, false);
      clock.advance(1_000);
      // Were the three old failures still counted, 4 of 4 calls would have failed.
      call(breaker, false);
      call(breaker, true);
      call(breaker, true);
      call(breaker, true);
      expect(breaker.state.name).toBe("closed");
    });

    it("ignores a late success or failure of a call let through before it opened", () => {
      const { breaker } = breakerOf({ consecutiveFailures: 2 });
      const late = breaker.pass();
      call(breaker, false);
      call(breaker, false);
      expect(breaker.state.name).toBe("open");
      breaker.failure(late);
      expect(breaker.state).toMatchObject({ name: "open", reason: "consecutive-failures" });
    });
  });

  describe("open", () => {
    it("refuses calls until openMs has passed, then lets a probe through", () => {
      const { breaker, clock, changes } = breakerOf({ consecutiveFailures: 1, openMs: 1_000 });
      call(breaker, false);
      expect(breaker.state).toEqual({ name: "open", since: 0, until: 1_000, reason: "consecutive-failures" });
      clock.advance(999);
      expect(breaker.pass()).toBe(Pass.Refuse);
      clock.advance(1);
      expect(breaker.pass()).toBe(Pass.Probe);
      expect(breaker.state.name).toBe("half-open");
      expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual(["closed->open", "open->half-open"]);
    });
  });

  describe("half-open", () => {
    function halfOpen(overrides: Partial<BreakerSettings> = {}) {
      const made = breakerOf({ consecutiveFailures: 1, openMs: 100, ...overrides });
      call(made.breaker, false);
      made.clock.advance(100);
      return made;
    }

    it("lets at most halfOpenProbes calls through at once", () => {
      const { breaker } = halfOpen({ halfOpenProbes: 3 });
      expect([breaker.pass(), breaker.pass(), breaker.pass()]).toEqual([Pass.Probe, Pass.Probe, Pass.Probe]);
      expect(breaker.pass()).toBe(Pass.Refuse);
      expect(breaker.state).toEqual({ name: "half-open", probes: 3, successes: 0 });
    });

    it("closes after halfOpenProbes successes", () => {
      const { breaker, changes } = halfOpen({ halfOpenProbes: 2 });
      const a = breaker.pass();
      const b = breaker.pass();
      breaker.success(a);
      expect(breaker.state.name).toBe("half-open");
      // A success frees its slot but counts: one more probe, not two.
      expect(breaker.pass()).toBe(Pass.Refuse);
      breaker.success(b);
      expect(breaker.state.name).toBe("closed");
      expect(changes.at(-1)).toMatchObject({ from: "half-open", to: "closed" });
      expect(breaker.pass()).toBe(Pass.Call);
    });

    it("opens again when one probe fails", () => {
      const { breaker, clock, changes } = halfOpen({ halfOpenProbes: 3, openMs: 100 });
      const a = breaker.pass();
      const b = breaker.pass();
      breaker.success(a);
      breaker.failure(b);
      expect(breaker.state).toEqual({ name: "open", since: 100, until: 200, reason: "probe-failed" });
      expect(changes.at(-1)).toMatchObject({ from: "half-open", to: "open", reason: "probe-failed" });
      expect(breaker.pass()).toBe(Pass.Refuse);
      clock.advance(100);
      expect(breaker.pass()).toBe(Pass.Probe);
    });

    it("frees the slot of a released probe", () => {
      const { breaker } = halfOpen({ halfOpenProbes: 1 });
      const probe = breaker.pass();
      expect(breaker.pass()).toBe(Pass.Refuse);
      breaker.release(probe);
      expect(breaker.state).toEqual({ name: "half-open", probes: 0, successes: 0 });
      expect(breaker.pass()).toBe(Pass.Probe);
    });

    it("closes with a clean slate: earlier failures do not count after it closed", () => {
      const { breaker } = halfOpen({ consecutiveFailures: 2, halfOpenProbes: 1 });
      breaker.success(breaker.pass());
      expect(breaker.state.name).toBe("closed");
      call(breaker, false);
      expect(breaker.state.name).toBe("closed");
      call(breaker, false);
      expect(breaker.state.name).toBe("open");
    });

    it("does not let a probe of an earlier half-open spell, released late, make room for an extra probe", () => {
      const { breaker, clock } = halfOpen({ halfOpenProbes: 2, openMs: 100 });
      const failing = breaker.pass();
      const straggler = breaker.pass();
      breaker.failure(failing);
      clock.advance(100);
      const first = breaker.pass();
      expect(first).toBe(Pass.Probe);
      breaker.release(straggler);
      const second = breaker.pass();
      expect(second).toBe(Pass.Probe);
      // `first` and `second` are in flight: a third would break the limit of 2.
      expect(breaker.pass()).toBe(Pass.Refuse);
    });

    it("still closes once the probes of earlier spells have all come back", () => {
      const { breaker, clock } = halfOpen({ halfOpenProbes: 2, openMs: 100 });
      const failing = breaker.pass();
      const straggler = breaker.pass();
      breaker.failure(failing);
      clock.advance(100);
      const a = breaker.pass();
      const b = breaker.pass();
      breaker.success(straggler);
      breaker.success(a);
      breaker.success(b);
      const c = breaker.pass();
      if (c !== Pass.Call) breaker.success(c);
      expect(breaker.state.name).toBe("closed");
    });
  });

  describe("isolated", () => {
    it("refuses every call however long it is held, and reports the change", () => {
      const { breaker, clock, changes } = breakerOf({ openMs: 100 });
      breaker.isolate();
      clock.advance(1_000_000);
      expect(breaker.pass()).toBe(Pass.Refuse);
      expect(breaker.state).toEqual({ name: "isolated", since: 0 });
      expect(changes).toEqual([{ from: "closed", to: "isolated", failures: 0, rate: 0 }]);
    });

    it("closes with a clean slate when the hold is disposed", () => {
      const { breaker, changes } = breakerOf({ consecutiveFailures: 3 });
      call(breaker, false);
      call(breaker, false);
      const hold = breaker.isolate();
      hold.dispose();
      expect(breaker.state.name).toBe("closed");
      expect(changes.at(-1)).toMatchObject({ from: "isolated", to: "closed" });
      call(breaker, false);
      call(breaker, false);
      expect(breaker.state.name).toBe("closed");
      call(breaker, false);
      expect(breaker.state.name).toBe("open");
    });

    it("ignores the late answer of a probe let through before the isolation", () => {
      const { breaker, clock } = breakerOf({ consecutiveFailures: 1, openMs: 10 });
      call(breaker, false);
      clock.advance(10);
      const probe = breaker.pass();
      breaker.isolate();
      breaker.success(probe);
      breaker.failure(probe);
      expect(breaker.state.name).toBe("isolated");
    });

    it("is released once however often the hold is disposed", () => {
      const { breaker, changes } = breakerOf({ consecutiveFailures: 1 });
      const hold = breaker.isolate();
      hold.dispose();
      call(breaker, false);
      hold.dispose();
      expect(breaker.state.name).toBe("open");
      expect(changes.map((c) => c.to)).toEqual(["isolated", "closed", "open"]);
    });
  });
});
