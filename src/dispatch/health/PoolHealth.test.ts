import { describe, expect, it } from "vitest";
import { ManualClock } from "../../common/Clock.js";
import type { Candidate, HealthSettings } from "../../vocabulary/dispatch.js";
import { PoolHealth, type PoolHealthEvent } from "./PoolHealth.js";

function candidate(key: string, weight = 1): Candidate {
  return {
    key,
    module: "m",
    engineType: undefined,
    capabilities: [],
    labels: {},
    weight,
    maxConcurrent: 16,
    effectiveWeight: weight,
    inflight: 0,
    meanMs: undefined,
    health: "unknown",
  };
}

/** A pool of `n` replicas `m@1.0.0#1..n`, each served once so it is healthy. */
function pool(n: number, settings: HealthSettings = {}) {
  const clock = new ManualClock();
  const health = new PoolHealth(settings, clock);
  const events: PoolHealthEvent[] = [];
  health.onEvent((e) => events.push(e));
  const keys = Array.from({ length: n }, (_, i) => `m@1.0.0#${i + 1}`);
  const cands = keys.map((k) => candidate(k, 2));
  for (const c of cands) health.add(c);
  for (const k of keys) health.callSucceeded(k, 10);
  events.length = 0;
  const serving = () => health.candidates().map((c) => c.key);
  return { clock, health, events, keys, cands, serving };
}

const times = (n: number, fn: () => void) => {
  for (let i = 0; i < n; i++) fn();
};

describe("PoolHealth", () => {
  it("puts new replicas in rotation as unknown at their full weight", () => {
    const clock = new ManualClock();
    const health = new PoolHealth({}, clock);
    const c = candidate("m@1.0.0#1", 3);
    health.add(c);
    expect(c.health).toBe("unknown");
    expect(c.effectiveWeight).toBe(3);
    expect(health.candidates()).toEqual([c]);
    health.callSucceeded(c.key, 40);
    expect(c.health).toBe("healthy");
    expect(c.meanMs).toBe(40);
  });

  it("unresponsive: probe timeouts take a replica out of rotation; probes that pass again bring it back", () => {
    const { health, events, keys, cands, serving } = pool(3, { failureThreshold: 3, successThreshold: 2 });
    const [a] = keys;
    times(3, () => health.probe(a!, false, "timed out after 1 s"));
    expect(events).toEqual([
      {
        type: "health",
        key: a,
        from: "healthy",
        to: "unhealthy",
        reason: "3 probes in a row failed (last: timed out after 1 s)",
      },
    ]);
    expect(cands[0]!.health).toBe("unhealthy");
    expect(cands[0]!.effectiveWeight).toBe(0);
    expect(serving()).toEqual(keys.slice(1));
    health.probe(a!, true);
    expect(serving()).toEqual(keys.slice(1));
    health.probe(a!, true);
    expect(events.at(-1)).toEqual({
      type: "health",
      key: a,
      from: "unhealthy",
      to: "healthy",
      reason: "2 probes in a row succeeded",
    });
    expect(serving()).toEqual(keys);
    expect(cands[0]!.effectiveWeight).toBe(2);
  });

  it("execution failure: failed calls in a row eject the replica, the others serve, and it returns after its time", () => {
    const { clock, health, events, keys, serving } = pool(3, { failureThreshold: 5, baseEjectionMs: 30_000 });
    const [a] = keys;
    times(5, () => health.callFailed(a!, "error"));
    expect(events).toEqual([
      {
        type: "ejected",
        key: a,
        cause: "consecutive-failures",
        reason: "5 calls in a row failed: ejected for 30 s",
        untilMs: 30_000,
        durationMs: 30_000,
        timesEjected: 1,
      },
      {
        type: "health",
        key: a,
        from: "healthy",
        to: "unhealthy",
        reason: "5 calls in a row failed: ejected for 30 s",
      },
    ]);
    expect(serving()).toEqual(keys.slice(1));
    clock.advance(29_999);
    expect(serving()).toEqual(keys.slice(1));
    clock.advance(1);
    expect(events.slice(2)).toEqual([
      { type: "returned", key: a, reason: "its ejection time is over" },
      { type: "health", key: a, from: "unhealthy", to: "healthy", reason: "its ejection ended" },
    ]);
    expect(serving()).toEqual(keys);
  });

  it("execution failure: each ejection in a row lasts base x n, capped at maxEjectionMs", () => {
    const { clock, health, events, keys } = pool(3, {
      failureThreshold: 2,
      baseEjectionMs: 10_000,
      maxEjectionMs: 25_000,
    });
    const [a] = keys;
    const durations: number[] = [];
    for (let i = 0; i < 4; i++) {
      times(2, () => health.callFailed(a!, "error"));
      const ejected = events.findLast((e) => e.type === "ejected");
      if (ejected?.type !== "ejected") throw new Error("not ejected");
      durations.push(ejected.durationMs);
      clock.advance(ejected.durationMs);
      expect(health.member(a!)?.inRotation).toBe(true);
    }
    expect(durations).toEqual([10_000, 20_000, 25_000, 25_000]);
  });

  it("memory leak: a replica whose memory keeps rising is taken out and asked to drain and restart", () => {
    const { health, events, keys, serving } = pool(2, { memoryRiseSamples: 3 });
    const [a] = keys;
    for (const mb of [100, 120, 140, 160]) health.memorySample(a!, mb * 1024 * 1024);
    expect(events).toEqual([
      {
        type: "health",
        key: a,
        from: "healthy",
        to: "unhealthy",
        reason: "memory rose 3 samples in a row (100 MiB to 160 MiB): drain and restart",
        action: "drain-and-restart",
      },
    ]);
    expect(serving()).toEqual(keys.slice(1));
    expect(health.snapshot().members[0]!.draining).toBe(true);
    health.restarted(a!);
    expect(events.at(-1)).toMatchObject({ type: "health", key: a, from: "unhealthy", to: "recovering" });
    expect(serving()).toEqual(keys);
  });

  it("performance drop: a slow replica serves at a lower weight, and at full weight once fast again", () => {
    const { health, events, keys, cands } = pool(2, { degradedLatencyMs: 100, degradedWeight: 0.5 });
    const [a] = keys;
    // Its first call took 10 ms; nine more at 300 ms: (10 + 2700) / 10 = 271 ms.
    times(9, () => health.callSucceeded(a!, 300));
    expect(events).toEqual([
      {
        type: "health",
        key: a,
        from: "healthy",
        to: "degraded",
        reason: "mean call time 271 ms over 100 ms",
      },
    ]);
    expect(cands[0]!.effectiveWeight).toBe(1); // 2 x 0.5
    expect(health.candidates().map((c) => c.key)).toEqual(keys);
    times(20, () => health.callSucceeded(a!, 20));
    expect(cands[0]!.health).toBe("healthy");
    expect(cands[0]!.effectiveWeight).toBe(2);
  });

  it("down-weights a replica whose calls time out, without taking it out", () => {
    const { health, keys, cands } = pool(2);
    health.callFailed(keys[0]!, "timeout");
    expect(cands[0]!.effectiveWeight).toBe(1); // 2 x 0.5
    expect(cands[0]!.health).toBe("healthy");
  });

  it("crash: the crashed replica's calls go to the others; restarted it recovers, healthy after successThreshold", () => {
    const { health, events, keys, cands, serving } = pool(3, { successThreshold: 3, degradedWeight: 0.5 });
    const [a] = keys;
    health.callFailed(a!, "crash");
    health.callFailed(a!, "crash");
    expect(events).toEqual([
      {
        type: "health",
        key: a,
        from: "healthy",
        to: "unhealthy",
        reason: "its host crashed; out of rotation until restarted",
      },
    ]);
    expect(serving()).toEqual(keys.slice(1));
    health.restarted(a!);
    expect(cands[0]!.health).toBe("recovering");
    expect(cands[0]!.effectiveWeight).toBe(1); // serves at half weight while it proves itself
    expect(serving()).toEqual(keys);
    times(2, () => health.callSucceeded(a!, 10));
    expect(cands[0]!.health).toBe("recovering");
    health.callSucceeded(a!, 10);
    expect(events.at(-1)).toEqual({
      type: "health",
      key: a,
      from: "recovering",
      to: "healthy",
      reason: "3 calls in a row succeeded after the restart",
    });
    expect(cands[0]!.effectiveWeight).toBe(2);
  });

  it("does not eject a crashed replica: its restart decides when it serves again", () => {
    const { health, events, keys } = pool(3, { failureThreshold: 1 });
    health.callFailed(keys[0]!, "crash");
    expect(events.some((e) => e.type === "ejected")).toBe(false);
    health.restarted(keys[0]!);
    expect(health.member(keys[0]!)?.inRotation).toBe(true);
  });

  it("keeps the last replica in rotation serving however its calls fail", () => {
    const { health, events, keys, serving } = pool(2, { failureThreshold: 2, maxEjectedPercent: 100 });
    times(2, () => health.callFailed(keys[0]!, "error"));
    times(2, () => health.callFailed(keys[1]!, "error"));
    expect(events.at(-1)).toMatchObject({
      type: "ejection-refused",
      key: keys[1],
      reason: "2 calls in a row failed; not ejected: it is the last replica in rotation",
    });
    expect(serving()).toEqual([keys[1]]);
  });

  it("panics when too few replicas are in rotation: every replica serves, the unhealthy ones at full weight", () => {
    const { health, events, keys, cands, serving } = pool(4, { failureThreshold: 1, panicThreshold: 50 });
    health.callFailed(keys[0]!, "crash");
    health.callFailed(keys[1]!, "crash");
    expect(health.panic).toBe(false); // 2 of 4 = 50%: not under 50%
    expect(serving()).toEqual(keys.slice(2));
    health.probe(keys[2]!, false, "timed out after 1 s");
    expect(events.at(-1)).toEqual({
      type: "panic",
      on: true,
      inRotation: 1,
      total: 4,
      reason: "only 1 of 4 replicas in rotation, under 50%: every replica serves",
    });
    expect(health.panic).toBe(true);
    expect(serving()).toEqual(keys);
    expect(cands.map((c) => c.effectiveWeight)).toEqual([2, 2, 2, 2]);
    health.restarted(keys[0]!);
    expect(events.at(-1)).toMatchObject({ type: "panic", on: false });
    expect(serving()).toEqual([keys[0], keys[3]]);
    expect(cands.map((c) => c.effectiveWeight)).toEqual([1, 0, 0, 2]);
  });

  it("ejects a success-rate outlier at the interval's sweep, on the injected clock", () => {
    const settings = {
      failureThreshold: 1000,
      successRateRequestVolume: 10,
      successRateMinimumHosts: 5,
      intervalMs: 10_000,
    };
    const { clock, health, events, keys, serving } = pool(5, settings);
    // Rates 50, 100, 100, 100, 100 over 10 calls each (the calls of pool() fell in this interval
    // too: 1 more success each, so 11 calls: 6/11 = 54.5% and 100%; threshold by hand:
    // mean 90.9, stdev 18.2, 90.9 - 1.9 x 18.2 = 56.4; 54.5 is under it).
    times(5, () => health.callFailed(keys[0]!, "error"));
    times(5, () => health.callSucceeded(keys[0]!, 10));
    for (const k of keys.slice(1)) times(10, () => health.callSucceeded(k, 10));
    clock.advance(9_999);
    expect(events.filter((e) => e.type === "ejected")).toEqual([]);
    clock.advance(1);
    const ejected = events.find((e) => e.type === "ejected");
    expect(ejected).toMatchObject({
      key: keys[0],
      cause: "success-rate",
      reason: "success rate 54.5% under the pool's 56.4% (mean 90.9% - 1.9 x stdev 18.2%): ejected for 30 s",
    });
    expect(serving()).toEqual(keys.slice(1));
  });

  it("shows each member's health, weight, ejection and reason for runtime.engines()", () => {
    const { clock, health, keys, cands } = pool(3, { failureThreshold: 2, baseEjectionMs: 30_000 });
    cands[1]!.inflight = 4;
    clock.advance(1_000);
    times(2, () => health.callFailed(keys[0]!, "error"));
    const snap = health.snapshot();
    expect(snap).toMatchObject({ panic: false, inRotation: 2, total: 3 });
    expect(snap.members[0]).toEqual({
      key: keys[0],
      health: "unhealthy",
      reason: "2 calls in a row failed: ejected for 30 s",
      since: clock.wallNow(),
      inRotation: false,
      effectiveWeight: 0,
      inflight: 0,
      meanMs: 10,
      errorRate: 2 / 3,
      consecutiveFailures: 2,
      ejectedUntil: clock.wallNow() + 30_000,
      timesEjected: 1,
      ejections: 1,
      draining: false,
    });
    expect(snap.members[1]).toMatchObject({
      key: keys[1],
      health: "healthy",
      inflight: 4,
      effectiveWeight: 2,
    });
  });

  it("ignores news of a replica that has left the pool", () => {
    const { health, events, keys } = pool(2);
    health.remove(keys[0]!);
    health.callFailed(keys[0]!, "crash");
    health.callSucceeded(keys[0]!, 5);
    expect(events).toEqual([]);
    expect(health.candidates().map((c) => c.key)).toEqual([keys[1]]);
  });

  it("leaves no timer behind when disposed, nor when its last replica leaves", () => {
    const { clock, health, keys } = pool(2, { failureThreshold: 1 });
    health.callFailed(keys[0]!, "error");
    expect(clock.pending).toBe(2); // the sweep and the ejection's return
    expect(clock.alive).toBe(0); // both in the background
    health.remove(keys[0]!);
    health.remove(keys[1]!);
    expect(clock.pending).toBe(0);
    const other = pool(2, { failureThreshold: 1 });
    other.health.callFailed(other.keys[0]!, "error");
    other.health.dispose();
    expect(other.clock.pending).toBe(0);
  });
});
