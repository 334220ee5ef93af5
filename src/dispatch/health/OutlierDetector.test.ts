import { describe, expect, it } from "vitest";
import { ManualClock } from "../../common/Clock.js";
import type { HealthSettings } from "../../vocabulary/dispatch.js";
import { resolveHealthSettings } from "./healthSettings.js";
import { OutlierDetector } from "./OutlierDetector.js";
import { successRateThreshold } from "./successRate.js";

function pool(keys: string[], settings: HealthSettings = {}) {
  const clock = new ManualClock();
  const out = new Set<string>();
  const detector = new OutlierDetector(resolveHealthSettings(settings), clock, (k) => !out.has(k));
  for (const k of keys) detector.add(k);
  return { detector, clock, out };
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `m@1.0.0#${i + 1}`);

/** Fails `key` until the detector decides something, and returns what it decided. */
function failUntilDecided(detector: OutlierDetector, key: string) {
  for (let i = 0; i < 1000; i++) {
    const event = detector.callFailed(key);
    if (event) return event;
  }
  throw new Error("no decision");
}

/** `total` calls to `key` in the current interval, `failed` of them failed. */
function calls(detector: OutlierDetector, key: string, total: number, failed: number) {
  for (let i = 0; i < failed; i++) detector.callFailed(key);
  for (let i = failed; i < total; i++) detector.callSucceeded(key);
}

/** Success-rate tests: consecutive failures never eject (only the rate is under test). */
const rateOnly = { failureThreshold: 1_000, successRateRequestVolume: 100, successRateMinimumHosts: 5 };

describe("OutlierDetector", () => {
  it("ejects a replica at once after failureThreshold failed calls in a row, for baseEjectionMs", () => {
    const [a] = names(3);
    const { detector, clock } = pool(names(3), { failureThreshold: 5, baseEjectionMs: 30_000 });
    clock.advance(1000);
    for (let i = 0; i < 4; i++) expect(detector.callFailed(a!)).toBeUndefined();
    expect(detector.callFailed(a!)).toEqual({
      type: "ejected",
      key: a,
      cause: "consecutive-failures",
      reason: "5 calls in a row failed: ejected for 30 s",
      untilMs: 31_000,
      durationMs: 30_000,
      timesEjected: 1,
    });
    expect(detector.ejectedUntil(a!)).toBe(31_000);
    expect(detector.ejected).toBe(1);
  });

  it("does not eject on failures that a success interrupts", () => {
    const [a] = names(3);
    const { detector } = pool(names(3), { failureThreshold: 3 });
    for (let i = 0; i < 10; i++) {
      expect(detector.callFailed(a!)).toBeUndefined();
      expect(detector.callFailed(a!)).toBeUndefined();
      detector.callSucceeded(a!);
    }
  });

  it("returns an ejected replica when its time is over, not before", () => {
    const [a] = names(3);
    const { detector, clock } = pool(names(3), { failureThreshold: 1, baseEjectionMs: 30_000 });
    detector.callFailed(a!);
    clock.advance(29_999);
    expect(detector.returnDue()).toEqual([]);
    clock.advance(1);
    expect(detector.returnDue()).toEqual([{ type: "returned", key: a, reason: "its ejection time is over" }]);
    expect(detector.ejectedUntil(a!)).toBeUndefined();
    expect(detector.ejected).toBe(0);
  });

  it("ejects for base x times ejected, capped at maxEjectionMs", () => {
    const [a] = names(3);
    const { detector, clock } = pool(names(3), {
      failureThreshold: 1,
      baseEjectionMs: 1000,
      maxEjectionMs: 3000,
    });
    const durations: number[] = [];
    for (let i = 0; i < 5; i++) {
      const event = failUntilDecided(detector, a!);
      if (event.type !== "ejected") throw new Error(event.reason);
      durations.push(event.durationMs);
      clock.advance(event.durationMs);
      detector.returnDue();
    }
    expect(durations).toEqual([1000, 2000, 3000, 3000, 3000]);
    // Envoy stops raising the multiplier once base x multiplier reaches max + base: 4 here.
    expect(detector.ejections(a!)).toEqual({ timesEjected: 4, total: 5 });
  });

  it("says when an ejection time was capped", () => {
    const [a] = names(3);
    const { detector, clock } = pool(names(3), {
      failureThreshold: 1,
      baseEjectionMs: 1000,
      maxEjectionMs: 1500,
    });
    detector.callFailed(a!);
    clock.advance(1000);
    detector.returnDue();
    expect(detector.callFailed(a!)).toMatchObject({
      durationMs: 1500,
      reason: "1 call in a row failed: ejected for 1.5 s (2 x 1 s, capped)",
    });
  });

  it("lowers the multiplier by one per interval a returned replica stays un-ejected", () => {
    const [a] = names(3);
    const { detector, clock } = pool(names(3), {
      failureThreshold: 1,
      baseEjectionMs: 1000,
      maxEjectionMs: 10_000,
      intervalMs: 10_000,
    });
    for (let i = 0; i < 3; i++) {
      const event = failUntilDecided(detector, a!);
      clock.advance(event.type === "ejected" ? event.durationMs : 0);
      detector.returnDue();
    }
    expect(detector.ejections(a!).timesEjected).toBe(3);
    // A sweep less than an interval after its return leaves the multiplier alone.
    clock.advance(5_000);
    detector.sweep();
    expect(detector.ejections(a!).timesEjected).toBe(3);
    clock.advance(5_000);
    detector.sweep();
    expect(detector.ejections(a!).timesEjected).toBe(2);
    clock.advance(10_000);
    detector.sweep();
    expect(detector.ejections(a!).timesEjected).toBe(1);
    // The next ejection is 2 x base, not 4 x.
    expect(detector.callFailed(a!)).toMatchObject({ type: "ejected", durationMs: 2000, timesEjected: 2 });
  });

  it("counts the ejected share after the new ejection against maxEjectedPercent", () => {
    const keys = names(10);
    const { detector } = pool(keys, { failureThreshold: 1, maxEjectedPercent: 20 });
    expect(detector.callFailed(keys[0]!)?.type).toBe("ejected"); // 1 of 10 = 10%
    expect(detector.callFailed(keys[1]!)?.type).toBe("ejected"); // 2 of 10 = 20%, not over
    // Counted before the ejection, 2 of 10 = 20% would allow a third; counted after, 30% is over.
    expect(detector.callFailed(keys[2]!)).toEqual({
      type: "ejection-refused",
      key: keys[2],
      cause: "consecutive-failures",
      reason: "1 call in a row failed; not ejected: 3 of 10 replicas would be ejected, over the 20% allowed",
    });
    expect(detector.ejected).toBe(2);
  });

  it("ejects one replica of a small pool although one is over maxEjectedPercent, but not a second", () => {
    const [a, b] = names(3);
    const { detector } = pool(names(3), { failureThreshold: 1, maxEjectedPercent: 10 });
    expect(detector.callFailed(a!)?.type).toBe("ejected"); // 1 of 3 = 33%: the first is always allowed
    expect(detector.callFailed(b!)?.type).toBe("ejection-refused");
  });

  it("never ejects the last replica in rotation", () => {
    const [a, b] = names(2);
    const { detector } = pool(names(2), { failureThreshold: 1, maxEjectedPercent: 100 });
    expect(detector.callFailed(a!)?.type).toBe("ejected");
    expect(detector.callFailed(b!)).toMatchObject({
      type: "ejection-refused",
      reason: "1 call in a row failed; not ejected: it is the last replica in rotation",
    });
  });

  it("counts replicas out of rotation for their own reasons when sparing the last one", () => {
    const [a, b] = names(2);
    const { detector, out } = pool(names(2), { failureThreshold: 1, maxEjectedPercent: 100 });
    out.add(b!); // its probes failed: it does not serve either
    expect(detector.callFailed(a!)?.type).toBe("ejection-refused");
  });

  it("ejects a success-rate outlier: rates 50, 100, 100, 100, 100 give mean 90, stdev 20, threshold 52", () => {
    // By hand: mean = 450 / 5 = 90; squared deviations 1600, 100, 100, 100, 100 sum to 2000,
    // / 5 = 400, stdev 20; threshold 90 - 1.9 x 20 = 52; 50 < 52.
    expect(successRateThreshold([50, 100, 100, 100, 100], 1.9)).toEqual({
      mean: 90,
      stdev: 20,
      threshold: 52,
    });
    const keys = names(5);
    const { detector, clock } = pool(keys, rateOnly);
    calls(detector, keys[0]!, 100, 50);
    for (const k of keys.slice(1)) calls(detector, k, 100, 0);
    clock.advance(10_000);
    expect(detector.sweep()).toEqual([
      {
        type: "ejected",
        key: keys[0],
        cause: "success-rate",
        reason: "success rate 50% under the pool's 52% (mean 90% - 1.9 x stdev 20%): ejected for 30 s",
        untilMs: 40_000,
        durationMs: 30_000,
        timesEjected: 1,
      },
    ]);
  });

  it("spares a replica near the mean: rates 90, 95, 100, 100, 100 give threshold 89.4", () => {
    // By hand: mean 485 / 5 = 97; squared deviations 49, 4, 9, 9, 9 sum to 80, / 5 = 16,
    // stdev 4; threshold 97 - 1.9 x 4 = 89.4; 90 is not under it.
    const { threshold } = successRateThreshold([90, 95, 100, 100, 100], 1.9);
    expect(threshold).toBeCloseTo(89.4, 10);
    const keys = names(5);
    const { detector } = pool(keys, rateOnly);
    calls(detector, keys[0]!, 100, 10);
    calls(detector, keys[1]!, 100, 5);
    for (const k of keys.slice(2)) calls(detector, k, 100, 0);
    expect(detector.sweep()).toEqual([]);
  });

  it("compares success rates only among replicas with successRateRequestVolume calls, and only with enough of them", () => {
    const keys = names(5);
    const { detector } = pool(keys, rateOnly);
    calls(detector, keys[0]!, 99, 99); // all failed, but 99 calls are too few to count
    for (const k of keys.slice(1)) calls(detector, k, 100, 0);
    // Only 4 replicas had the volume: under the minimum of 5, nothing is compared.
    expect(detector.sweep()).toEqual([]);
  });

  it("judges each interval on its own calls", () => {
    const keys = names(5);
    const { detector } = pool(keys, rateOnly);
    calls(detector, keys[0]!, 100, 100);
    for (const k of keys.slice(1)) calls(detector, k, 50, 0);
    expect(detector.sweep()).toEqual([]); // the others had 50 calls: too few
    for (const k of keys.slice(1)) calls(detector, k, 50, 0);
    expect(detector.sweep()).toEqual([]); // and the failures of the last interval are forgotten
  });

  it("reports panic while fewer than panicThreshold percent of replicas are in rotation", () => {
    const keys = names(4);
    const { detector, out } = pool(keys, { panicThreshold: 50 });
    expect(detector.checkPanic()).toBeUndefined();
    out.add(keys[0]!);
    out.add(keys[1]!);
    expect(detector.checkPanic()).toBeUndefined(); // 2 of 4 = 50%: not under 50%
    out.add(keys[2]!);
    expect(detector.checkPanic()).toEqual({
      type: "panic",
      on: true,
      inRotation: 1,
      total: 4,
      reason: "only 1 of 4 replicas in rotation, under 50%: every replica serves",
    });
    expect(detector.panic).toBe(true);
    expect(detector.checkPanic()).toBeUndefined();
    out.delete(keys[2]!);
    expect(detector.checkPanic()).toEqual({
      type: "panic",
      on: false,
      inRotation: 2,
      total: 4,
      reason: "2 of 4 replicas in rotation again: only those serve",
    });
  });

  it("never panics with one replica: out of rotation, it is out (an engine pool of one)", () => {
    const keys = names(1);
    const { detector, out } = pool(keys, { panicThreshold: 50 });
    out.add(keys[0]!);
    expect(detector.checkPanic()).toBeUndefined();
    expect(detector.panic).toBe(false);
  });

  it("forgets a removed replica, its ejection included", () => {
    const [a] = names(3);
    const { detector } = pool(names(3), { failureThreshold: 1 });
    detector.callFailed(a!);
    detector.remove(a!);
    expect(detector.ejected).toBe(0);
    expect(detector.callFailed(a!)).toBeUndefined();
  });
});
