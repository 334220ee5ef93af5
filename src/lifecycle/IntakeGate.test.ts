import { describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import { IntakeGate } from "./IntakeGate.js";

const gate = () => new IntakeGate("m@1.0.0", new ManualClock(), { maxWaiting: 10, maxWaitMs: 1000 });

describe("IntakeGate", () => {
  it("drains once every call that entered has left", async () => {
    const g = gate();
    const a = g.enter();
    const b = g.enter();
    let drained = false;
    const waiting = g.drained().then(() => (drained = true));
    g.leave(a);
    await Promise.resolve();
    expect(drained).toBe(false);
    g.leave(b);
    await waiting;
    expect(g.inFlight).toBe(0);
  });

  it("stops waiting for calls a crash gave up, and does not count their late ends", async () => {
    const g = gate();
    const hung = g.enter();
    const drained = g.drained();
    g.abandon();
    await drained; // a stop waiting for the crashed module's calls goes on
    expect(g.inFlight).toBe(0);
    const next = g.enter();
    g.leave(hung); // the crashed call's late end: ignored
    expect(g.inFlight).toBe(1);
    g.leave(next);
    expect(g.inFlight).toBe(0);
  });
});
