import type { Candidate } from "../../vocabulary/dispatch.js";

/**
 * The current weights of smooth weighted round robin, one per member, by position in the member
 * list. Rebuilt when the list changes; a member that stays keeps its counter (looked up by key),
 * so a change of rotation does not restart the schedule.
 */
export class SmoothCounters {
  current = new Float64Array(0);

  /** Lays the counters out for `candidates`, keeping those of members that stay. */
  rebuild(candidates: readonly Candidate[], previous: readonly Candidate[] | undefined): void {
    const kept = new Map<string, number>();
    if (previous !== undefined)
      for (let i = 0; i < previous.length && i < this.current.length; i++)
        kept.set(previous[i]!.key, this.current[i]!);
    const current = new Float64Array(candidates.length);
    for (let i = 0; i < candidates.length; i++) current[i] = kept.get(candidates[i]!.key) ?? 0;
    this.current = current;
  }
}
