import { abortError } from "../common/abort.js";
import type { BisectCheck, BisectOptions, BisectTrial } from "./BisectTypes.js";

/** A set of candidates, as ascending positions in the candidate list. */
export type Subset = readonly number[];

/** Why trials stopped before the reduction reached a 1-minimal set. */
type Stop = "budget" | "inconsistent";

/** What a trial said about a subset, or that trials stopped (budget, contradiction). */
export type Probe = "healthy" | "unhealthy" | "stopped";

/** Runs checks through a cache keyed by subset, within the budget, and watches for contradictions. */
export class TrialLog {
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

  /** The smallest subset of `within` seen failing (the earliest of equal size); `within` itself if none. */
  smallestFailing(within: Subset): Subset {
    let smallest = within;
    for (const { subset, trial } of this.seen.values()) {
      if (!trial.healthy && subset.length < smallest.length && contains(within, subset)) smallest = subset;
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

/** `ids` quoted and joined with commas, for notes ("no modules" for none). */
export function quoted(ids: readonly string[]): string {
  return ids.length === 0 ? "no modules" : ids.map((id) => `"${id}"`).join(", ");
}
