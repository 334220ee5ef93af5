import { describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { bisect, defaultMaxTrials } from "./bisect.js";
import { type BisectCheck } from "./BisectTypes.js";

/** `m0`, `m1`, ... `m{n-1}`. */
function modules(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `m${i}`);
}

/**
 * A fake runtime that is unhealthy exactly when every module of one of `failures` is active,
 * and that records each subset it was asked about.
 */
function runtime(...failures: string[][]): { check: BisectCheck; calls: string[][] } {
  const calls: string[][] = [];
  const check: BisectCheck = (subset) => {
    calls.push(subset);
    const active = new Set(subset);
    const healthy = !failures.some((failure) => failure.every((id) => active.has(id)));
    return Promise.resolve({ healthy });
  };
  return { check, calls };
}

function distinct(calls: string[][]): number {
  return new Set(calls.map((subset) => subset.join(","))).size;
}

describe("bisect", () => {
  it("names the single culprit of one candidate after the first trial", async () => {
    const { check, calls } = runtime(["m0"]);
    const result = await bisect(modules(1), check);
    expect(result).toMatchObject({ culprits: ["m0"], found: true, minimal: true });
    expect(calls).toEqual([["m0"]]);
  });

  for (const n of [2, 7, 16, 100]) {
    // Halving, the last single module, and one trial of the rest without it.
    const bound = Math.ceil(Math.log2(n)) + 3;
    it(`finds a single culprit at any position among ${n} candidates in at most ${bound} trials`, async () => {
      const ids = modules(n);
      for (const culprit of ids) {
        const { check, calls } = runtime([culprit]);
        const result = await bisect(ids, check);
        expect(result.culprits).toEqual([culprit]);
        expect(result.found).toBe(true);
        expect(result.minimal).toBe(true);
        expect(result.complete).toBe(true);
        expect(result.trials).toHaveLength(calls.length);
        expect(calls.length).toBeLessThanOrEqual(bound);
      }
    });
  }

  it("reports found=false after one trial when the runtime is healthy with every module", async () => {
    const { check, calls } = runtime();
    const result = await bisect(modules(16), check);
    expect(result).toEqual({
      healthy: true,
      culprits: [],
      groups: [],
      trials: [{ modules: modules(16), healthy: true }],
      found: false,
      minimal: false,
      complete: false,
      note: "the runtime was healthy with every module",
    });
    expect(calls).toHaveLength(1);
  });

  it("names both of two independently bad modules, and checks the runtime is healthy without them", async () => {
    const ids = modules(16);
    for (const [a, b] of [
      ["m0", "m15"],
      ["m3", "m4"],
      ["m9", "m2"],
    ] as const) {
      const { check } = runtime([a], [b]);
      const result = await bisect(ids, check);
      const both = ids.filter((id) => id === a || id === b);
      expect(result).toMatchObject({
        healthy: false,
        culprits: both,
        found: true,
        minimal: true,
        complete: true,
      });
      expect(result.groups).toHaveLength(2);
      expect([...result.groups].sort()).toEqual(both.map((id) => [id]).sort());
      expect(result.trials.at(-1)).toEqual({
        modules: ids.filter((id) => !both.includes(id)),
        healthy: true,
      });
      expect(result.note).toMatch(/alone makes the runtime unhealthy; independently, "m\d+" alone makes/);
      expect(result.note).toContain("without all of them it was healthy");
    }
  });

  it("names a bad module and a bad pair side by side, each as its own cause", async () => {
    const ids = modules(12);
    const { check } = runtime(["m7"], ["m1", "m10"]);
    const result = await bisect(ids, check);
    expect(result.culprits).toEqual(["m1", "m7", "m10"]);
    expect([...result.groups].sort()).toEqual([["m1", "m10"], ["m7"]]);
    expect(result).toMatchObject({ found: true, minimal: true, complete: true });
  });

  it("names what it found so far when the budget runs out before the rest was checked again", async () => {
    const ids = modules(8);
    const { check } = runtime(["m0"], ["m5"]);
    // all, [m0..m3], [m0, m1], [m0]: m0 is found; the rest is never checked.
    const result = await bisect(ids, check, { maxTrials: 4 });
    expect(result).toMatchObject({
      culprits: ["m0"],
      groups: [["m0"]],
      found: true,
      minimal: true,
      complete: false,
    });
    expect(result.note).toContain("ran out before the rest");
  });

  it("reports a two-module interaction as exactly those two, though neither fails alone", async () => {
    const ids = modules(16);
    for (const [a, b] of [
      ["m0", "m15"],
      ["m3", "m4"],
      ["m7", "m8"],
      ["m14", "m2"],
    ] as const) {
      const { check, calls } = runtime([a, b]);
      const result = await bisect(ids, check);
      expect(result.culprits).toEqual(ids.filter((id) => id === a || id === b));
      expect(result.found).toBe(true);
      expect(result.minimal).toBe(true);
      expect(result.note).toContain("together");
      // Each alone was seen healthy: the pair is 1-minimal by the trials themselves.
      expect(result.trials).toContainEqual({
        modules: [ids.find((id) => id === a || id === b)],
        healthy: true,
      });
      expect(distinct(calls)).toBe(calls.length);
    }
  });

  it("reports a three-way interaction as exactly those three", async () => {
    const ids = modules(24);
    const { check, calls } = runtime(["m20", "m1", "m11"]);
    const result = await bisect(ids, check);
    expect(result.culprits).toEqual(["m1", "m11", "m20"]);
    expect(result.minimal).toBe(true);
    for (const dropped of result.culprits) {
      const rest = result.culprits.filter((id) => id !== dropped);
      expect(result.trials).toContainEqual({ modules: rest, healthy: true });
    }
    expect(distinct(calls)).toBe(calls.length);
  });

  it("stops at maxTrials and returns the smallest failing set seen so far", async () => {
    const ids = modules(16);
    const { check, calls } = runtime(["m2", "m13"]);
    const result = await bisect(ids, check, { maxTrials: 8 });
    expect(calls).toHaveLength(8);
    expect(result.trials).toHaveLength(8);
    expect(result.found).toBe(true);
    expect(result.minimal).toBe(false);
    expect(result.note).toContain("budget of 8 trials ran out");
    const failing = result.trials.filter((t) => !t.healthy).map((t) => t.modules);
    const smallest = Math.min(...failing.map((set) => set.length));
    expect(failing).toContainEqual(result.culprits);
    expect(result.culprits).toHaveLength(smallest);
    expect(result.culprits.length).toBeGreaterThan(2);
  });

  it("runs only the first trial when maxTrials is 1, returning the whole set", async () => {
    const { check, calls } = runtime(["m3"]);
    const result = await bisect(modules(5), check, { maxTrials: 1 });
    expect(calls).toHaveLength(1);
    expect(result).toMatchObject({ culprits: modules(5), found: true, minimal: false });
  });

  it(`allows ${defaultMaxTrials} trials by default`, async () => {
    const ids = modules(40);
    const { check, calls } = runtime(ids);
    const result = await bisect(ids, check);
    expect(calls).toHaveLength(defaultMaxTrials);
    expect(result.minimal).toBe(false);
  });

  it("rejects maxTrials below 1 and candidates listed twice before running any check", async () => {
    const { check, calls } = runtime(["a"]);
    await expect(bisect(["a"], check, { maxTrials: 0 })).rejects.toMatchObject({
      code: ErrorCodes.OPTIONS_INVALID,
    });
    await expect(bisect(["a", "b", "a"], check)).rejects.toMatchObject({
      code: ErrorCodes.OPTIONS_INVALID,
      module: "a",
    });
    expect(calls).toHaveLength(0);
  });

  it("stops between trials when the signal aborts, rejecting with the signal's reason as cause", async () => {
    const controller = new AbortController();
    const reason = new Error("operator pressed ctrl-c");
    const { check: inner, calls } = runtime(["m9"]);
    const check: BisectCheck = async (subset, signal) => {
      expect(signal).toBe(controller.signal);
      const verdict = await inner(subset);
      if (calls.length === 2) controller.abort(reason);
      return verdict;
    };
    const error = await bisect(modules(16), check, { signal: controller.signal }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ChipsetError);
    expect(error).toMatchObject({ code: ErrorCodes.ABORTED, cause: reason });
    expect(calls).toHaveLength(2);
  });

  it("runs no check when the signal has already aborted", async () => {
    const { check, calls } = runtime(["m1"]);
    await expect(bisect(modules(4), check, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: ErrorCodes.ABORTED,
    });
    expect(calls).toHaveLength(0);
  });

  it("never checks the same subset twice, even on the long ddmin path", async () => {
    const ids = modules(12);
    for (const failure of [["m0", "m5", "m6", "m11"], ["m1", "m2", "m3", "m4", "m5", "m6", "m7"], ids]) {
      const { check, calls } = runtime(failure);
      const result = await bisect(ids, check, { maxTrials: 10_000 });
      expect(result.culprits).toEqual(failure);
      expect(calls.length).toBeGreaterThan(ids.length);
      expect(distinct(calls)).toBe(calls.length);
    }
  });

  it("passes subsets in candidate order and reports progress after each trial", async () => {
    const ids = ["zeta", "alpha", "mid", "beta"];
    const { check, calls } = runtime(["beta"]);
    const seen: Array<[string[], number]> = [];
    const result = await bisect(ids, check, { onTrial: (trial, count) => seen.push([trial.modules, count]) });
    for (const subset of calls) expect(subset).toEqual(ids.filter((id) => subset.includes(id)));
    expect(seen).toEqual(result.trials.map((trial, i) => [trial.modules, i + 1]));
    expect(result.culprits).toEqual(["beta"]);
  });

  it("keeps the check's detail in the trials and in the note", async () => {
    const check: BisectCheck = (subset) =>
      Promise.resolve(
        subset.includes("gpu-accel")
          ? { healthy: false, detail: "gpu-accel crashed twice" }
          : { healthy: true },
      );
    const result = await bisect(["http", "gpu-accel", "cache"], check);
    expect(result.culprits).toEqual(["gpu-accel"]);
    expect(result.trials[0]).toEqual({
      modules: ["http", "gpu-accel", "cache"],
      healthy: false,
      detail: "gpu-accel crashed twice",
    });
    expect(result.note).toBe(
      '"gpu-accel" alone makes the runtime unhealthy: gpu-accel crashed twice (found in 5 trials)',
    );
  });

  it("reports found=false when a set fails inside one that was healthy (a flaky check)", async () => {
    // m1 crashes the runtime, but the check misses it whenever exactly two modules run.
    const { check: inner } = runtime(["m1"]);
    const check: BisectCheck = (subset) =>
      subset.length === 2 ? Promise.resolve({ healthy: true }) : inner(subset);
    const result = await bisect(modules(4), check);
    expect(result.found).toBe(false);
    expect(result.minimal).toBe(false);
    expect(result.trials.at(-1)).toEqual({ modules: ["m1"], healthy: false });
    expect(result.culprits).toEqual(["m1"]);
    expect(result.note).toBe(
      'inconsistent results: the runtime was unhealthy with "m1" but healthy with "m0", "m1", which includes ' +
        "them, so the check is flaky (or one module hides another's failure); make each check run longer, " +
        'then bisect again; the smallest set seen failing was "m1"',
    );
  });

  it("blames no module when the runtime is unhealthy with none active", async () => {
    const check: BisectCheck = () => Promise.resolve({ healthy: false });
    const result = await bisect([], check);
    expect(result).toMatchObject({ culprits: [], found: false, trials: [{ modules: [], healthy: false }] });
  });
});
