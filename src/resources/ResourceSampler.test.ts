import { describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import type { IntervalCalls, ResourceSample, UsageCounters } from "../vocabulary/resources.js";
import { ResourceSampler, type SampledInstance } from "./ResourceSampler.js";

/** A loaded instance whose counters the test sets; `reload()` starts them afresh, as a restart after a crash does. */
class FakeInstance implements SampledInstance {
  readonly id = "db";
  readonly version = "1.0.0";
  readonly isolation = "worker" as const;
  loaded = true;
  private cpuUs = 0;
  private served = 0;
  constructor(readonly replica = 0) {}
  usage(): UsageCounters | undefined {
    if (!this.loaded) return undefined;
    return { cpuUs: this.cpuUs, heapUsed: 1000, fsRead: 0, fsWrite: 0, netIn: 0, netOut: 0 };
  }
  calls(): number {
    return this.served;
  }
  work(calls: number): void {
    this.cpuUs += 1000;
    this.served += calls;
  }
  reload(): void {
    this.cpuUs = 0;
    this.served = 0;
    this.loaded = true;
  }
}

/** A sampler of `instances` every second, fed `figures` as the version's calls of each round. */
function setup(instances: FakeInstance[]) {
  const clock = new ManualClock();
  let figures: IntervalCalls = { failures: 0, p99Ms: null };
  const rounds: ResourceSample[][] = [];
  const sampler = new ResourceSampler({
    clock,
    instances: () => instances,
    everyMs: 1000,
    calls: () => {
      const round = new Map([["db@1.0.0", figures]]);
      figures = { failures: 0, p99Ms: null };
      return round;
    },
  });
  sampler.onSamples((samples) => rounds.push([...samples]));
  sampler.start(); // the first readings
  return {
    rounds,
    /** The version's calls over the coming round. */
    calls: (next: IntervalCalls) => (figures = next),
    round: () => clock.advance(1000),
  };
}

describe("ResourceSampler", () => {
  it("keeps the failures and p99 of a round whose instance crashed and was loaded afresh for the next sample", () => {
    const db = new FakeInstance();
    db.work(3);
    const t = setup([db]);
    t.calls({ failures: 2, p99Ms: 30 });
    db.reload(); // crashed during the round: its counters start again, so the round gives no sample
    t.round();
    expect(t.rounds).toEqual([]);

    db.work(1);
    t.calls({ failures: 1, p99Ms: 10 });
    t.round();
    expect(t.rounds.map((r) => r.map((s) => [s.calls, s.failures, s.p99Ms]))).toEqual([[[1, 3, 30]]]);

    t.round(); // nothing since: nothing carried twice
    expect(t.rounds.at(-1)!.map((s) => [s.failures, s.p99Ms])).toEqual([[0, null]]);
  });

  it("keeps them across a round in which the instance is not loaded at all", () => {
    const db = new FakeInstance();
    const t = setup([db]);
    db.loaded = false; // crashed: down for the round
    t.calls({ failures: 4, p99Ms: 50 });
    t.round();
    db.reload(); // its first reading again
    t.round();
    t.round();
    expect(t.rounds.map((r) => r.map((s) => [s.failures, s.p99Ms]))).toEqual([[[4, 50]]]);
  });

  it("lets another replica carry the version's figures when the first one was loaded afresh", () => {
    const first = new FakeInstance(0);
    const second = new FakeInstance(1);
    first.work(2);
    const t = setup([first, second]);
    second.work(5);
    t.calls({ failures: 1, p99Ms: 20 });
    first.reload(); // its counters went down: no sample of it this round
    t.round();
    expect(t.rounds).toHaveLength(1);
    expect(t.rounds[0]!.map((s) => [s.replica ?? 0, s.calls, s.failures, s.p99Ms])).toEqual([[1, 5, 1, 20]]);

    first.work(1);
    second.work(1);
    t.round(); // both sampled: the first replica carries them, the other says null
    expect(t.rounds[1]!.map((s) => [s.replica ?? 0, s.failures])).toEqual([
      [0, 0],
      [1, null],
    ]);
  });
});
