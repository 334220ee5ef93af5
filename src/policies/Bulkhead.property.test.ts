import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Bulkhead, type BulkheadTicket } from "./Bulkhead.js";

/** `instant`: the caller gives its slot back as soon as it gets it (a synchronous answer). */
type Op = { kind: "arrive"; instant: boolean } | { kind: "leave" | "cancel"; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("arrive" as const), instant: fc.boolean() }),
  fc.record({ kind: fc.constantFrom("leave" as const, "cancel" as const), pick: fc.nat() }),
);

interface Caller {
  n: number;
  state: "running" | "waiting" | "refused" | "cancelled" | "done";
  ticket?: BulkheadTicket;
}

describe("Bulkhead (properties)", () => {
  it("never exceeds maxConcurrent active or maxQueue queued, serves waiters in order, and runs or cancels every one it accepted", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(opArb, { minLength: 1, maxLength: 200 }),
        (maxConcurrent, maxQueue, ops) => {
          const bulkhead = new Bulkhead({ maxConcurrent, maxQueue });
          const callers: Caller[] = [];
          const served: number[] = [];
          const inState = (state: Caller["state"]) => callers.filter((c) => c.state === state);

          const check = () => {
            expect(bulkhead.active).toBeLessThanOrEqual(maxConcurrent);
            expect(bulkhead.queued).toBeLessThanOrEqual(maxQueue);
            expect(bulkhead.active).toBe(inState("running").length);
            expect(bulkhead.queued).toBe(inState("waiting").length);
            // A caller waits only while every slot is taken.
            if (bulkhead.queued > 0) expect(bulkhead.active).toBe(maxConcurrent);
          };

          for (const op of ops) {
            if (op.kind === "arrive") {
              const caller: Caller = { n: callers.length, state: "running" };
              callers.push(caller);
              const leaveAtOnce = () => {
                if (!op.instant) return;
                caller.state = "done";
                bulkhead.leave();
              };
              if (bulkhead.tryEnter()) leaveAtOnce();
              else {
                const ticket = bulkhead.enqueue(() => {
                  expect(caller.state).toBe("waiting");
                  expect(bulkhead.active).toBeLessThanOrEqual(maxConcurrent);
                  caller.state = "running";
                  served.push(caller.n);
                  leaveAtOnce();
                });
                if (ticket === undefined) {
                  caller.state = "refused";
                  expect(bulkhead.queued).toBe(maxQueue);
                } else {
                  caller.state = "waiting";
                  caller.ticket = ticket;
                }
              }
            } else {
              const pool = inState(op.kind === "leave" ? "running" : "waiting");
              const caller = pool[op.pick % Math.max(1, pool.length)];
              if (caller !== undefined) {
                if (op.kind === "leave") {
                  caller.state = "done";
                  bulkhead.leave();
                } else {
                  caller.state = "cancelled";
                  caller.ticket!.cancel();
                }
              }
            }
            check();
          }

          // Drain: whoever runs leaves, until nothing is left.
          for (let running = inState("running"); running.length > 0; running = inState("running")) {
            running[0]!.state = "done";
            bulkhead.leave();
            check();
          }
          expect(inState("waiting")).toEqual([]);
          expect(bulkhead.active).toBe(0);
          expect(bulkhead.queued).toBe(0);
          // Every accepted waiter ran, once each and in arrival order, unless it gave up.
          const accepted = callers.filter((c) => c.ticket !== undefined);
          const ran = accepted.filter((c) => c.state !== "cancelled").map((c) => c.n);
          expect(served).toEqual(ran);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
