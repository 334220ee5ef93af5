import { describe, expect, it } from "vitest";
import { ManualClock } from "../../common/Clock.js";
import type { HealthSettings } from "../../vocabulary/dispatch.js";
import { resolveHealthSettings } from "./healthSettings.js";
import { ReplicaHealth, type ReplicaHealthOptions } from "./ReplicaHealth.js";

function replica(settings: HealthSettings = {}, options: ReplicaHealthOptions = {}) {
  const clock = new ManualClock();
  return { health: new ReplicaHealth(resolveHealthSettings(settings), clock, options), clock };
}

const times = (n: number, fn: () => void) => {
  for (let i = 0; i < n; i++) fn();
};

describe("ReplicaHealth", () => {
  it("is unknown and in rotation at full weight until its first success, then healthy", () => {
    const { health } = replica();
    expect(health.state).toBe("unknown");
    expect(health.inRotation).toBe(true);
    expect(health.weightFactor).toBe(1);
    expect(health.callSucceeded(12)).toEqual({
      from: "unknown",
      to: "healthy",
      reason: "first call succeeded",
    });
    expect(health.callSucceeded(12)).toBeUndefined();
  });

  it("becomes healthy on a first passing probe too", () => {
    const { health } = replica();
    expect(health.probe(true)).toEqual({ from: "unknown", to: "healthy", reason: "first probe succeeded" });
  });

  it("goes unhealthy after failureThreshold calls in a row failed, and out of rotation", () => {
    const { health } = replica({ failureThreshold: 3 });
    health.callSucceeded(5);
    expect(health.callFailed("error")).toBeUndefined();
    expect(health.callFailed("error")).toBeUndefined();
    expect(health.callFailed("error")).toEqual({
      from: "healthy",
      to: "unhealthy",
      reason: "3 calls in a row failed (last: threw)",
    });
    expect(health.inRotation).toBe(false);
    expect(health.weightFactor).toBe(0);
    expect(health.consecutiveFailures).toBe(3);
  });

  it("leaves unhealthy after successThreshold successes in a row, not fewer", () => {
    const { health } = replica({ failureThreshold: 2, successThreshold: 3 });
    health.callFailed("error");
    health.callFailed("error");
    expect(health.state).toBe("unhealthy");
    health.probe(true);
    health.probe(true);
    health.probe(false);
    health.probe(true);
    expect(health.probe(true)).toBeUndefined();
    expect(health.probe(true)).toEqual({
      from: "unhealthy",
      to: "healthy",
      reason: "3 probes in a row succeeded",
    });
  });

  it("leaves consecutive call failures to the pool when the pool ejects", () => {
    const { health } = replica({ failureThreshold: 2 }, { poolEjects: true });
    health.callSucceeded(5);
    health.callFailed("error");
    health.callFailed("error");
    health.callFailed("error");
    expect(health.state).toBe("healthy");
    expect(health.consecutiveFailures).toBe(3);
  });

  it("is degraded when the mean call time exceeds degradedLatencyMs, at degradedWeight, and recovers", () => {
    const { health } = replica({ degradedLatencyMs: 200, degradedWeight: 0.25 });
    health.callSucceeded(100);
    // 10 calls are needed before the window is judged: 9 x 250 + 100 = 2350 / 10 = 235 ms.
    const changes = Array.from({ length: 9 }, () => health.callSucceeded(250)).filter(Boolean);
    expect(changes).toEqual([
      { from: "healthy", to: "degraded", reason: "mean call time 235 ms over 200 ms" },
    ]);
    expect(health.inRotation).toBe(true);
    expect(health.weightFactor).toBe(0.25);
    // Calls at 100 ms bring the mean down: after 3 more (2650 / 13 = 203.8) still over; after 4,
    // (100 + 9 x 250 + 4 x 100) / 14 = 196.4 ms.
    times(3, () => expect(health.callSucceeded(100)).toBeUndefined());
    expect(health.callSucceeded(100)).toEqual({
      from: "degraded",
      to: "healthy",
      reason: "back within limits: mean call time 196.4 ms, 0% of the last 14 calls failed",
    });
    expect(health.weightFactor).toBe(1);
  });

  it("is degraded when the failed share of its last calls exceeds degradedErrorRate", () => {
    const { health } = replica({ degradedErrorRate: 0.2 });
    times(7, () => health.callSucceeded(5));
    health.callFailed("error");
    health.callFailed("error");
    // 2 of 9: not judged yet (fewer than 10 calls).
    expect(health.state).toBe("healthy");
    expect(health.callFailed("error")).toEqual({
      from: "healthy",
      to: "degraded",
      reason: "30% of the last 10 calls failed, over 20%",
    });
    expect(health.errorRate).toBeCloseTo(0.3);
  });

  it("down-weights a replica whose calls time out, and gives the weight back with successes", () => {
    const { health } = replica();
    health.callSucceeded(5);
    health.callFailed("timeout");
    expect(health.slowFactor).toBe(0.5);
    health.callFailed("timeout");
    expect(health.slowFactor).toBe(0.25);
    expect(health.weightFactor).toBe(0.25);
    expect(health.state).toBe("healthy");
    times(5, () => health.callSucceeded(5));
    expect(health.slowFactor).toBeCloseTo(0.75);
    times(10, () => health.callSucceeded(5));
    expect(health.slowFactor).toBe(1);
  });

  it("never down-weights below a tenth, so a slow replica stays in rotation", () => {
    const { health } = replica({ failureThreshold: 100 });
    times(10, () => health.callFailed("timeout"));
    expect(health.slowFactor).toBe(0.1);
  });

  it("goes unhealthy at once when its host crashes, and recovering when restarted", () => {
    const { health } = replica({ successThreshold: 2, degradedWeight: 0.5 });
    health.callSucceeded(5);
    expect(health.callFailed("crash")).toEqual({
      from: "healthy",
      to: "unhealthy",
      reason: "its host crashed; out of rotation until restarted",
    });
    expect(health.callFailed("crash")).toBeUndefined();
    expect(health.restarted()).toEqual({
      from: "unhealthy",
      to: "recovering",
      reason: "restarted; serving at reduced weight until 2 successes in a row",
    });
    expect(health.inRotation).toBe(true);
    expect(health.weightFactor).toBe(0.5);
    health.callSucceeded(5);
    health.callFailed("error");
    health.callSucceeded(5);
    expect(health.state).toBe("recovering");
    expect(health.callSucceeded(5)).toEqual({
      from: "recovering",
      to: "healthy",
      reason: "2 calls in a row succeeded after the restart",
    });
  });

  it("asks to drain and restart after memoryRiseSamples rising samples in a row", () => {
    const { health } = replica({ memoryRiseSamples: 3 });
    health.callSucceeded(5);
    const MiB = 1024 * 1024;
    expect(health.memorySample(100 * MiB)).toBeUndefined();
    expect(health.memorySample(110 * MiB)).toBeUndefined();
    expect(health.memorySample(105 * MiB)).toBeUndefined(); // a fall restarts the count
    expect(health.memorySample(120 * MiB)).toBeUndefined();
    expect(health.memorySample(130 * MiB)).toBeUndefined();
    expect(health.memorySample(140 * MiB)).toEqual({
      from: "healthy",
      to: "unhealthy",
      reason: "memory rose 3 samples in a row (105 MiB to 140 MiB): drain and restart",
      action: "drain-and-restart",
    });
    expect(health.draining).toBe(true);
    expect(health.inRotation).toBe(false);
    expect(health.memorySample(150 * MiB)).toBeUndefined();
    expect(health.restarted()?.to).toBe("recovering");
    expect(health.draining).toBe(false);
  });

  it("asks to drain a leaking replica even when it is already out of rotation", () => {
    const { health, clock } = replica({ memoryRiseSamples: 2 });
    health.ejected(clock.now() + 30_000, "ejected");
    health.memorySample(1);
    health.memorySample(2);
    expect(health.memorySample(3)).toMatchObject({
      from: "unhealthy",
      to: "unhealthy",
      action: "drain-and-restart",
    });
  });

  it("never asks to drain when memoryRiseSamples is 0", () => {
    const { health } = replica({ memoryRiseSamples: 0 });
    for (let i = 1; i < 50; i++) expect(health.memorySample(i)).toBeUndefined();
  });

  it("is out of rotation while ejected and serves again when returned, its failures forgotten", () => {
    const { health, clock } = replica();
    health.callSucceeded(5);
    expect(health.ejected(clock.now() + 30_000, "5 calls in a row failed: ejected for 30 s")).toEqual({
      from: "healthy",
      to: "unhealthy",
      reason: "5 calls in a row failed: ejected for 30 s",
    });
    expect(health.ejectedUntil).toBe(30_000);
    expect(health.returned()).toEqual({ from: "unhealthy", to: "healthy", reason: "its ejection ended" });
    expect(health.ejectedUntil).toBeUndefined();
    expect(health.errorRate).toBeUndefined();
    expect(health.returned()).toBeUndefined();
  });

  it("stays unhealthy after its ejection ends while its probes still fail", () => {
    const { health, clock } = replica({ failureThreshold: 2 });
    health.ejected(clock.now() + 1000);
    health.probe(false, "timed out after 1 s");
    health.probe(false, "timed out after 1 s");
    expect(health.returned()).toBeUndefined();
    expect(health.state).toBe("unhealthy");
    expect(health.reason).toBe("ejected for 1 s");
  });

  it("keeps an application check's verdict: calls, probes and another check that pass do not undo it", () => {
    const { health } = replica({ failureThreshold: 2, successThreshold: 2 });
    health.checked("disk", false, "its disk is full");
    health.checked("cpu", true);
    health.probe(true);
    health.checked("disk", false, "its disk is full");
    expect(health.state).toBe("unhealthy");
    expect(health.reason).toBe("disk: 2 checks in a row failed (last: its disk is full)");
    times(5, () => health.callSucceeded(5));
    health.probe(true);
    health.checked("cpu", true);
    expect(health.state).toBe("unhealthy");
    health.checked("disk", true);
    health.checked("disk", true);
    expect(health.state).toBe("healthy");
    expect(health.reason).toBe("disk: 2 checks in a row passed");
  });

  it("records when it entered its state on the injected clock", () => {
    const { health, clock } = replica();
    clock.advance(500);
    health.callSucceeded(5);
    expect(health.since).toBe(500);
  });
});
