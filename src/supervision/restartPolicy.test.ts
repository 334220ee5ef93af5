import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  endedNormally,
  policyRestarts,
  restartDefaults,
  restartSettings,
} from "./restartPolicy.js";

describe("restart policies", () => {
  it("restart as Erlang's do: permanent always, transient only after a crash, temporary never", () => {
    expect(policyRestarts("permanent", "exit", 0)).toBe(true);
    expect(policyRestarts("permanent", "hang")).toBe(true);
    expect(policyRestarts("transient", "exit", 0)).toBe(false);
    expect(policyRestarts("transient", "exit", 3)).toBe(true);
    expect(policyRestarts("transient", "heap-exhausted")).toBe(true);
    expect(policyRestarts("temporary", "uncaught-exception")).toBe(false);
  });

  it("take exit code 0 as a normal end, as Erlang's normal exit, unless the policy is permanent", () => {
    expect(endedNormally("transient", "exit", 0)).toBe(true);
    expect(endedNormally("temporary", "exit", 0)).toBe(true);
    expect(endedNormally("permanent", "exit", 0)).toBe(false);
    expect(endedNormally("transient", "exit", 1)).toBe(false);
    expect(endedNormally("transient", "exit", null)).toBe(false);
    expect(endedNormally("temporary", "killed", null)).toBe(false);
  });

  it("take the manifest over the runtime's defaults over the built-in ones", () => {
    const s = restartSettings({ maxRestarts: 2 }, { maxRestarts: 9, initialDelayMs: 5 });
    expect(s.maxRestarts).toBe(2);
    expect(s.initialDelayMs).toBe(5);
    expect(s.maxDelayMs).toBe(restartDefaults.maxDelayMs);
  });
});

describe("backoff", () => {
  const noJitter = { ...restartDefaults, jitter: 0, initialDelayMs: 100, maxDelayMs: 30_000 };

  it("doubles from the initial delay and stops at the cap", () => {
    const delays = [1, 2, 3, 4, 10, 20, 100].map((n) => backoffDelay(n, noJitter, () => 0));
    expect(delays).toEqual([100, 200, 400, 800, 30_000, 30_000, 30_000]);
  });

  it("takes at most the jitter fraction off, and never goes negative or above the cap", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, random, jitter) => {
          const settings = { ...noJitter, jitter };
          const base = backoffDelay(attempt, { ...settings, jitter: 0 }, () => 0);
          const delay = backoffDelay(attempt, settings, () => random);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(base * (1 - jitter)));
          expect(delay).toBeLessThanOrEqual(base);
          expect(delay).toBeLessThanOrEqual(settings.maxDelayMs);
        },
      ),
    );
  });

  it("is zero all the way with a zero initial delay (no backoff)", () => {
    expect(backoffDelay(5, { ...noJitter, initialDelayMs: 0 }, () => 0.3)).toBe(0);
  });
});
