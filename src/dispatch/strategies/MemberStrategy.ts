import type { Candidate, DispatchRequest } from "../../vocabulary/dispatch.js";
import type { DispatchStrategy } from "./DispatchStrategy.js";
import { Members } from "./Members.js";

/**
 * A strategy that keeps state per member (round robin's counters, least loaded's weights, affinity's
 * bindings): `pick` advances it, `peek` answers the same without advancing, and `members` tells
 * when the rotation changed (a different array, or `membersChanged`).
 */
export abstract class MemberStrategy implements DispatchStrategy {
  protected readonly members = new Members();

  pick(candidates: readonly Candidate[], request: DispatchRequest): Candidate | undefined {
    return this.choose(candidates, request, true);
  }

  peek(candidates: readonly Candidate[], request: DispatchRequest): Candidate | undefined {
    return this.choose(candidates, request, false);
  }

  membersChanged(): void {
    this.members.invalidate();
  }

  /** The member for `request`; with `advance`, the state moves on as a real pick does. */
  protected abstract choose(
    candidates: readonly Candidate[],
    request: DispatchRequest,
    advance: boolean,
  ): Candidate | undefined;
}
