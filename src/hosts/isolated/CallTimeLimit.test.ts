import { describe, expect, it } from "vitest";
import { ManualClock } from "../../common/Clock.js";
import { CallTimeLimit } from "./CallTimeLimit.js";

function limit(ms = 100): { clock: ManualClock; overruns: string[]; timeLimit: CallTimeLimit } {
  const clock = new ManualClock();
  const overruns: string[] = [];
  return { clock, overruns, timeLimit: new CallTimeLimit(clock, ms, (m) => overruns.push(m)) };
}

describe("CallTimeLimit", () => {
  it("reports a call still unanswered at its limit, once", () => {
    const { clock, overruns, timeLimit } = limit();
    timeLimit.sent(1, "spin");
    clock.advance(99);
    expect(overruns).toEqual([]);
    clock.advance(1);
    expect(overruns).toEqual(["spin"]);
    clock.advance(1000);
    expect(overruns).toEqual(["spin"]);
  });

  it("times a queued call from the answer to the call before it", () => {
    const { clock, overruns, timeLimit } = limit();
    timeLimit.sent(1, "a");
    timeLimit.sent(2, "b");
    clock.advance(80);
    timeLimit.answered(1);
    clock.advance(99); // b has run 99 ms, waited 80 before
    expect(overruns).toEqual([]);
    clock.advance(1);
    expect(overruns).toEqual(["b"]);
  });

  it("forgets a call answered out of order, and every call when cleared", () => {
    const { clock, overruns, timeLimit } = limit();
    timeLimit.sent(1, "a");
    timeLimit.sent(2, "b");
    timeLimit.answered(2);
    timeLimit.answered(1);
    timeLimit.answered(7); // not a tracked call
    clock.advance(500);
    expect(overruns).toEqual([]);
    timeLimit.sent(3, "c");
    timeLimit.clear();
    clock.advance(500);
    expect(overruns).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
