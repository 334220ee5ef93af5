import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { BisectCheck, BisectOptions, BisectResult } from "./BisectTypes.js";
import { quoted, type Subset, TrialLog } from "./TrialLog.js";

/** The default of {@link BisectOptions.maxTrials}. */
export const defaultMaxTrials = 64;

/**
 * Finds every module (or smallest combination of modules) that makes the runtime unhealthy.
 *
 * Confirms the whole set fails, then reduces it with Zeller's delta debugging (ddmin) to a
 * 1-minimal failing subset. A bisection pass runs first so one culprit among n costs at most
 * ceil(log2 n) + 2 trials; when it dead-ends (only an interaction fails), ddmin takes over from
 * the smallest set seen failing. The subset found is then set aside and the rest checked again
 * (one more trial), and reduced in turn while it still fails, until the rest is healthy: two
 * independently bad modules are both named. No subset is checked twice. The empty set is assumed
 * healthy.
 *
 * The check is taken as given, without retries: a flaky check misleads every later step, so make
 * each check run long enough (enough load, enough time) to show the instability reliably. A
 * contradiction seen between two trials (a set failing inside a healthy one) ends the bisection
 * with `found: false`. Rejections of `check` and `onTrial` are passed on as they came.
 *
 * @param candidates module ids; their order is kept in every subset and in the report
 * @param check runs the runtime with exactly `subset` active; may take seconds per call
 */
export async function bisect(
  candidates: readonly string[],
  check: BisectCheck,
  options: BisectOptions = {},
): Promise<BisectResult> {
  const ids = validCandidates(candidates);
  const maxTrials = options.maxTrials ?? defaultMaxTrials;
  if (!Number.isInteger(maxTrials) || maxTrials < 1) {
    throw new ChipsetError(
      ErrorCodes.OPTIONS_INVALID,
      `bisect's maxTrials must be a whole number of at least 1 (got ${String(maxTrials)})`,
      { details: { maxTrials } },
    );
  }
  const trials = new TrialLog(ids, check, maxTrials, options);
  const all = ids.map((_, i) => i);

  const first = await trials.probe(all);
  const nothing = { culprits: [], groups: [], found: false, minimal: false, complete: false };
  if (first === "healthy") {
    return {
      healthy: true,
      ...nothing,
      trials: trials.list,
      note: "the runtime was healthy with every module",
    };
  }
  if (ids.length === 0) {
    return {
      healthy: false,
      ...nothing,
      trials: trials.list,
      note: "the runtime was unhealthy with no modules active, so no module is to blame",
    };
  }

  const groups: Subset[] = [];
  // `rest` failed: reduce it to one cause, set that aside, and check what is left.
  let rest: Subset = all;
  for (;;) {
    const halved = await halve(rest, trials);
    const failing = halved.done ? halved.failing : await ddmin(halved.failing, trials);
    if (trials.stop !== undefined) return report(groups, rest, failing, trials);
    groups.push(failing);
    rest = without(rest, failing);
    if (rest.length === 0) return report(groups, rest, undefined, trials);
    const verdict = await trials.probe(rest);
    if (verdict !== "unhealthy") return report(groups, rest, undefined, trials);
  }
}

interface Halving {
  /** The smallest subset seen failing so far. */
  failing: Subset;
  /** true when ddmin has nothing left to do: `failing` is one module, or trials stopped. */
  done: boolean;
}

/**
 * Binary search under the single-culprit guess: test the first half; when it fails, keep it;
 * when it passes, move to the second half without testing it (the guess says it fails). The last
 * single module is then tested. A dead end (it passes) means the guess was wrong, and ddmin
 * resumes from the smallest subset actually seen failing.
 */
async function halve(all: Subset, trials: TrialLog): Promise<Halving> {
  let failing = all;
  let region = all;
  while (region.length > 1) {
    const [front, back] = split(region, 2) as [Subset, Subset];
    const verdict = await trials.probe(front);
    if (verdict === "stopped") return { failing, done: true };
    if (verdict === "unhealthy") failing = region = front;
    else region = back;
  }
  if (region !== failing) {
    const verdict = await trials.probe(region);
    if (verdict === "stopped") return { failing, done: true };
    if (verdict === "unhealthy") failing = region;
  }
  return { failing, done: failing.length === 1 };
}

/**
 * Zeller and Hildebrandt's ddmin ("Simplifying and Isolating Failure-Inducing Input", 2002):
 * split into n parts; keep a failing part (n = 2) or a failing complement (n - 1); else double n.
 * When n reaches the size of the set, every one-smaller set has passed: it is 1-minimal.
 */
async function ddmin(start: Subset, trials: TrialLog): Promise<Subset> {
  let failing = start;
  let n = 2;
  reduce: while (failing.length > 1) {
    const parts = split(failing, n);
    for (const part of parts) {
      const verdict = await trials.probe(part);
      if (verdict === "stopped") return failing;
      if (verdict === "unhealthy") {
        failing = part;
        n = 2;
        continue reduce;
      }
    }
    // With two parts each complement is the other part, already tested.
    if (n > 2) {
      for (const part of parts) {
        const complement = without(failing, part);
        const verdict = await trials.probe(complement);
        if (verdict === "stopped") return failing;
        if (verdict === "unhealthy") {
          failing = complement;
          n = Math.max(n - 1, 2);
          continue reduce;
        }
      }
    }
    if (n >= failing.length) break;
    n = Math.min(failing.length, 2 * n);
  }
  return failing;
}

/**
 * The result, from the causes found (`groups`) and the rest of the candidates without them; when
 * trials stopped while `rest` was being reduced, `reduced` is where the reduction had got to.
 */
function report(groups: Subset[], rest: Subset, reduced: Subset | undefined, trials: TrialLog): BisectResult {
  const count = trials.list.length;
  const stop = trials.stop;
  // A contradiction stops trials before the reduction can adopt the set that just failed.
  const pending =
    reduced === undefined ? undefined : stop === "inconsistent" ? trials.smallestFailing(rest) : reduced;
  const all = pending === undefined ? groups : [...groups, pending];
  const found = all.map((g) => trials.names(g));
  const culprits = trials.names(all.flat().sort((a, b) => a - b));
  const base = { healthy: false, culprits, groups: found, trials: trials.list, complete: false };
  const sofar = groups.length === 0 ? "" : `${describeGroups(groups, trials)}; `;
  if (stop === "inconsistent") {
    const seen =
      pending === undefined ? "" : `; the smallest set seen failing was ${quoted(trials.names(pending))}`;
    const note = `${sofar}${trials.contradiction ?? "inconsistent results"}${seen}`;
    return { ...base, found: false, minimal: false, note };
  }
  if (stop === "budget") {
    const where =
      pending === undefined
        ? `before the rest (${quoted(trials.names(rest))}) could be checked again, so more may be to blame`
        : `${quoted(trials.names(pending))} is the smallest set seen failing${groups.length === 0 ? "" : " among the rest"} and may not be minimal`;
    return {
      ...base,
      found: true,
      minimal: pending === undefined,
      note: `${sofar}the budget of ${count} trials ran out ${where} (raise maxTrials, or bisect again over these modules)`,
    };
  }
  const without = groups.length > 1 ? "; without all of them it was healthy" : "";
  return {
    ...base,
    found: true,
    minimal: true,
    complete: true,
    note: `${describeGroups(groups, trials)}${without} (found in ${count} trials)`,
  };
}

/** What each cause found does, for the note. */
function describeGroups(groups: Subset[], trials: TrialLog): string {
  return groups
    .map((group, i) => {
      const named = quoted(trials.names(group));
      const detail = trials.detailOf(group);
      const seen = detail === undefined ? "" : `: ${detail}`;
      const also = i === 0 ? "" : "independently, ";
      return group.length === 1
        ? `${also}${named} alone makes the runtime unhealthy${seen}`
        : `${also}only ${named} together make the runtime unhealthy; without any one of them it was healthy${seen}`;
    })
    .join("; ");
}

function validCandidates(candidates: readonly string[]): readonly string[] {
  const seen = new Set<string>();
  for (const id of candidates) {
    if (seen.has(id)) {
      throw new ChipsetError(
        ErrorCodes.OPTIONS_INVALID,
        `bisect was given "${id}" twice; list each module once`,
        {
          module: id,
        },
      );
    }
    seen.add(id);
  }
  return [...candidates];
}

/** `subset` in `n` contiguous parts whose sizes differ by at most one (larger first). */
function split(subset: Subset, n: number): Subset[] {
  const parts: Subset[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const size = Math.floor(subset.length / n) + (i < subset.length % n ? 1 : 0);
    parts.push(subset.slice(start, start + size));
    start += size;
  }
  return parts;
}

function without(subset: Subset, part: Subset): Subset {
  const drop = new Set(part);
  return subset.filter((i) => !drop.has(i));
}
