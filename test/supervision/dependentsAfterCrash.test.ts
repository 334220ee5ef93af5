import { describe, expect, it } from "vitest";
import { defineModule, ManualClock, type Runtime } from "../../src/index.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { captureRestarts, crash, dieMethod, flush, next } from "./helpers.js";

const h = runtimeHarness();

function open(): { rt: Runtime; clock: ManualClock } {
  const clock = new ManualClock();
  const rt = h.open({ clock, random: () => 0, hosts: { pool: { worker: 0, process: 0 } } });
  return { rt, clock };
}

describe("dependents and crashes in a row", () => {
  it('a "restart" dependent still stopping when its dependency is back is started again', async () => {
    h.ws.module({
      name: "store",
      chipset: { isolation: "worker", restart: { initialDelayMs: 100 } },
      code: `export const module = defineModule({ api: { ${dieMethod} } });`,
    });
    const { rt, clock } = open();
    let finishStop: (() => void) | undefined;
    rt.register(
      {
        name: "cache",
        version: "1.0.0",
        chipset: { kind: "test", requires: { store: "^1.0.0" }, restart: { onDependencyCrash: "restart" } },
      },
      defineModule({
        // Flushing takes a while: the stop is still running when the store is back.
        stop: () => (finishStop ? undefined : new Promise<void>((r) => (finishStop = r))),
        api: { ping: () => "pong" },
      }),
    );
    await rt.start("cache");
    const restarting = next(rt, "module.restarting");
    await crash(rt, "store");
    await restarting;
    expect(finishStop).toBeDefined(); // cache's stop is in flight
    const restarted = next(rt, "module.restarted");
    clock.advance(100);
    await restarted;
    const stopped = next(rt, "module.stopped", (e) => e.id === "cache");
    finishStop!();
    await stopped;
    await flush();
    expect(rt.queries.info("cache").state).toBe("running");
  });

  it("a restart blocked on a down dependency goes ahead once that dependency is brought back by request", async () => {
    h.ws.module({
      name: "db",
      chipset: { isolation: "worker", restart: { policy: "temporary" } },
      code: `export const module = defineModule({ api: { ping() { return "db"; }, ${dieMethod} } });`,
    });
    h.ws.module({
      name: "api",
      chipset: { isolation: "worker", requires: { db: "^1.0.0" }, restart: { initialDelayMs: 100 } },
      code: `export const module = defineModule({ api: { ping() { return "api"; }, ${dieMethod} } });`,
    });
    const { rt, clock } = open();
    await rt.start("api");
    const restarts = captureRestarts(rt);
    await crash(rt, "db"); // temporary: stays down
    const apiRestarting = next(rt, "module.restarting", (e) => e.id === "api");
    await crash(rt, "api");
    clock.advance((await apiRestarting).delayMs);
    await restarts[0]; // blocked: db is down
    // The operator brings db back by hand.
    await rt.unload("db");
    await rt.start("db");
    await flush();
    await restarts[1];
    expect(rt.queries.info("api").state).toBe("running");
  });
});
