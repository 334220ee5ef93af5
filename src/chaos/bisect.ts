import { abortError } from "../common/abort.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";

/** What one health check says about the runtime with a given set of modules active. */
export interface BisectVerdict {
  healthy: boolean;
  /** What was seen, for the report (e.g. "gpu-accel crashed twice"). */
  detail?: string;
}

/**
 * Runs the runtime with exactly `subset` active (in candidate order) and says whether it stayed
 * healthy. It owns its own duration and timeout; `signal` is the bisection's, passed on so a long
 * check can stop early.
 */
export type BisectCheck = (subset: string[], signal?: AbortSignal) => Promise<BisectVerdict>;

/** One trial: which modules ran, and whether the health check passed. */
export interface BisectTrial {
  modules: string[];
  healthy: boolean;
  detail?: string;
}

/** What {@link bisect} found. */
export interface BisectResult {
  /**
   * The smallest set found whose modules together make the runtime unhealthy: one id when a
   * single module is to blame, several when only their combination fails (an interaction).
   * Empty when the full set was healthy (nothing to find).
   */
  culprits: string[];
  /** Every trial, in order. */
  trials: BisectTrial[];
  /**
   * false when the whole set turned out healthy on the first trial, or results were inconsistent
   * (flaky); `note` explains.
   */
  found: boolean;
  /**
   * true when removing any one culprit was seen to make the runtime healthy (1-minimal); false when
   * the trial budget ran out or the results were inconsistent first, or nothing was found.
   */
  minimal: boolean;
  /** One sentence for people: what was found, or why nothing was. */
  note: string;
}

/** Options of {@link bisect}. */
export interface BisectOptions {
  /** Cancels between trials: `bisect` rejects with `CHIP_ERR_ABORTED`, `cause` = `signal.reason`. */
  signal?: AbortSignal;
  /** The most health checks to run, counting the first one on the whole set (default 64). */
  maxTrials?: number;
  /** Called after each trial that ran (not after answers from the cache); `count` starts at 1. */
  onTrial?: (trial: BisectTrial, count: number) => void;
}

/** The default of {@link BisectOptions.maxTrials}. */
export const defaultMaxTrials = 64;

/** A set of candidates, as ascending positions in the candidate list. */
type Subset = readonly number[];

/**
 * Finds the module (or the smallest combination of modules) that makes the runtime unhealthy.
 *
 * Confirms the whole set fails, then reduces it with Zeller's delta debugging (ddmin) to a
 * 1-minimal failing subset. A bisection pass runs first so one culprit among n costs at most
 * ceil(log2 n) + 2 trials; when it dead-ends (only an interaction fails), ddmin takes over from
 * the smallest set seen failing. No subset is checked twice. The empty set is assumed healthy.
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
  if (first === "healthy") {
    return {
      culprits: [],
      trials: trials.list,
      found: false,
      minimal: false,
      note: "the runtime was healthy with every module",
    };
  }
  if (ids.length === 0) {
    return {
      culprits: [],
      trials: trials.list,
      found: false,
      minimal: false,
      note: "the runtime was unhealthy with no modules active, so no module is to blame",
    };
  }

  const halved = await halve(all, trials);
  const failing = halved.done ? halved.failing : await ddmin(halved.failing, trials);
  return report(failing, trials);
}

/** Why trials stopped before the reduction reached a 1-minimal set. */
type Stop = "budget" | "inconsistent";

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

function report(reduced: Subset, trials: TrialLog): BisectResult {
  // A contradiction stops trials before the reduction can adopt the set that just failed.
  const failing = trials.stop === "inconsistent" ? trials.smallestFailing() : reduced;
  const culprits = trials.names(failing);
  const count = trials.list.length;
  const base = { culprits, trials: trials.list };
  const named = quoted(culprits);
  if (trials.stop === "inconsistent") {
    const note = `${trials.contradiction ?? "inconsistent results"}; the smallest set seen failing was ${named}`;
    return { ...base, found: false, minimal: false, note };
  }
  if (trials.stop === "budget") {
    return {
      ...base,
      found: true,
      minimal: false,
      note:
        `the budget of ${count} trials ran out; ${named} is the smallest set seen failing and may not ` +
        `be minimal (raise maxTrials, or bisect again over these modules)`,
    };
  }
  const detail = trials.detailOf(failing);
  const seen = detail === undefined ? "" : `: ${detail}`;
  const note =
    culprits.length === 1
      ? `${named} alone makes the runtime unhealthy${seen} (found in ${count} trials)`
      : `only ${named} together make the runtime unhealthy; without any one of them it was healthy${seen} (found in ${count} trials)`;
  return { ...base, found: true, minimal: true, note };
}

type Probe = "healthy" | "unhealthy" | "stopped";

/** Runs checks through a cache keyed by subset, within the budget, and watches for contradictions. */
class TrialLog {
  readonly list: BisectTrial[] = [];
  stop: Stop | undefined;
  contradiction: string | undefined;
  private readonly seen = new Map<string, { subset: Subset; trial: BisectTrial }>();

  constructor(
    private readonly ids: readonly string[],
    private readonly check: BisectCheck,
    private readonly maxTrials: number,
    private readonly options: BisectOptions,
  ) {}

  async probe(subset: Subset): Promise<Probe> {
    const cached = this.seen.get(key(subset));
    if (cached !== undefined) return cached.trial.healthy ? "healthy" : "unhealthy";
    if (this.stop !== undefined) return "stopped";
    if (this.list.length >= this.maxTrials) {
      this.stop = "budget";
      return "stopped";
    }
    const { signal } = this.options;
    if (signal?.aborted === true) throw abortError(signal, "bisect");

    const modules = this.names(subset);
    const verdict = await this.check([...modules], signal);
    const trial: BisectTrial = { modules, healthy: verdict.healthy === true };
    if (verdict.detail !== undefined) trial.detail = verdict.detail;
    this.list.push(trial);
    this.seen.set(key(subset), { subset, trial });
    this.options.onTrial?.(trial, this.list.length);

    this.contradiction = this.findContradiction(subset, trial.healthy);
    if (this.contradiction !== undefined) {
      this.stop = "inconsistent";
      return "stopped";
    }
    return trial.healthy ? "healthy" : "unhealthy";
  }

  names(subset: Subset): string[] {
    return subset.map((i) => this.ids[i] as string);
  }

  /** The smallest subset seen failing (the earliest of equal size); the whole set if none. */
  smallestFailing(): Subset {
    let smallest: Subset = this.ids.map((_, i) => i);
    for (const { subset, trial } of this.seen.values()) {
      if (!trial.healthy && subset.length < smallest.length) smallest = subset;
    }
    return smallest;
  }

  detailOf(subset: Subset): string | undefined {
    return this.seen.get(key(subset))?.trial.detail;
  }

  /** A failing set inside a healthy one cannot happen if a module's harm only adds up. */
  private findContradiction(subset: Subset, healthy: boolean): string | undefined {
    for (const { subset: other, trial } of this.seen.values()) {
      if (trial.healthy === healthy) continue;
      const [small, large] = healthy ? [other, subset] : [subset, other];
      if (!contains(large, small)) continue;
      return (
        `inconsistent results: the runtime was unhealthy with ${quoted(this.names(small))} but healthy ` +
        `with ${quoted(this.names(large))}, which includes them, so the check is flaky (or one module ` +
        `hides another's failure); make each check run longer, then bisect again`
      );
    }
    return undefined;
  }
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

/** Whether ascending `large` holds every position of ascending `small`. */
function contains(large: Subset, small: Subset): boolean {
  let j = 0;
  for (const i of small) {
    while (j < large.length && (large[j] as number) < i) j++;
    if (large[j] !== i) return false;
    j++;
  }
  return true;
}

function key(subset: Subset): string {
  return subset.join(",");
}

function quoted(ids: readonly string[]): string {
  return ids.length === 0 ? "no modules" : ids.map((id) => `"${id}"`).join(", ");
}
