import type { Candidate } from "../../vocabulary/dispatch.js";

/**
 * The member list a stateful strategy last built its state for. `changed(candidates)` answers
 * true (once) when it is handed another array, one of another length, or after `invalidate()`:
 * then the strategy rebuilds. Comparing the array's identity and length costs nothing per pick.
 */
export class Members {
  private array: readonly Candidate[] | undefined;
  private length = -1;

  /** Whether `candidates` differs from the list last seen; remembers it. */
  changed(candidates: readonly Candidate[]): boolean {
    if (candidates === this.array && candidates.length === this.length) return false;
    this.array = candidates;
    this.length = candidates.length;
    return true;
  }

  /** Forgets the list, so the next `changed` answers true (`membersChanged`). */
  invalidate(): void {
    this.array = undefined;
    this.length = -1;
  }
}
