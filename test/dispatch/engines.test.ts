import { describe, expect, it } from "vitest";
import {
  ManualClock,
  type Candidate,
  type Runtime,
  type RuntimeEvents,
  type RuntimeOptions,
} from "../../src/index.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import { held, release } from "../support/heldChannel.js";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();

/** A worker engine of type "calc" sized for one call at a time, whose `hold()` answers when the test posts on "release". */
function engine(name: string, capabilities: string[] = ["math"]): void {
  h.ws.module({
    name,
    chipset: {
      isolation: "worker",
      engine: { type: "calc", capabilities, performance: { maxConcurrent: 1 } },
    },
    code: `
      export const module = defineModule({
        api: {
          add(a, b) { return a + b; },
          broken() { throw new Error("this engine is broken"); },
          hold() {
            return new Promise((resolve) => {
              const release = new BroadcastChannel("release");
              release.onmessage = () => { release.close(); resolve(${JSON.stringify(name)}); };
              const held = new BroadcastChannel("held");
              held.postMessage(${JSON.stringify(name)});
              held.close();
            });
          },
        },
      });`,
  });
}

function open(options: RuntimeOptions = {}): Runtime {
  return h.open({ hosts: { pool: { worker: 0, process: 0 } }, ...options });
}

describe("document 004's manager settings", () => {
  it("queues a call while every engine is at its maxConcurrent, refuses one past maxQueue, and serves the queued one when a call ends", async () => {
    engine("calc-1");
    const rt = open({ dispatch: { maxQueue: 1 } });
    const first = held(1);
    const holding = rt.execute({ type: "calc" }, "hold");
    await first;
    const queued = rt.execute({ type: "calc" }, "add", 1, 2);
    await expect.poll(() => rt.engines()[0]?.queued).toBe(1);
    await expect(rt.execute({ type: "calc" }, "add", 3, 4)).rejects.toMatchObject({
      code: ErrorCodes.BULKHEAD_FULL,
      message: expect.stringContaining("dispatch.maxQueue") as unknown,
    });
    release();
    expect(await holding).toBe("calc-1");
    expect(await queued).toBe(3);
    expect(rt.engines()[0]?.queued).toBe(0);
  });

  it("gives up a call past requestTimeoutMs, its wait for an engine included", async () => {
    engine("calc-1");
    const clock = new ManualClock();
    const rt = open({ clock, dispatch: { requestTimeoutMs: 1000 } });
    const first = held(1);
    const holding = rt.execute({ type: "calc" }, "hold");
    await first;
    const waiting = rt.execute({ type: "calc" }, "add", 1, 2);
    clock.advance(1000);
    await expect(waiting).rejects.toMatchObject({
      code: ErrorCodes.CALL_TIMEOUT,
      message: expect.stringContaining("requestTimeoutMs") as unknown,
    });
    clock.advance(1000);
    await expect(holding).rejects.toMatchObject({ code: ErrorCodes.CALL_TIMEOUT });
    release();
  });

  it("sends a request without a type to the default engine type, and starts no more engines than maxEngines", async () => {
    engine("calc-1");
    engine("calc-2");
    const rt = open({ dispatch: { defaultEngineType: "calc", maxEngines: 1 } });
    expect(await rt.execute({}, "add", 20, 22)).toBe(42);
    expect(rt.engines()).toMatchObject([{ type: "calc", members: [{ id: "calc-1" }] }]);
  });

  it("refuses an unknown dispatch option, naming the closest one", () => {
    expect(() => open({ dispatch: { maxQueues: 3 } as unknown as RuntimeOptions["dispatch"] })).toThrow(
      /maxQueue/,
    );
  });
});

describe("an application's own strategy", () => {
  /** A strategy that always picks the candidate whose key sorts last, and records each array it is handed. */
  function lastByKey(rt: Runtime, name: string): Array<readonly Candidate[]> {
    const handed: Array<readonly Candidate[]> = [];
    rt.dispatch.registerStrategy(name, () => ({
      pick(candidates) {
        handed.push(candidates);
        return [...candidates].sort((a, b) => a.key.localeCompare(b.key)).at(-1);
      },
    }));
    return handed;
  }

  it("picks the engine of every execute that names it, handed one array while the pool does not change", async () => {
    engine("calc-1");
    engine("calc-2");
    const rt = open();
    const handed = lastByKey(rt, "last-key");
    await rt.start("calc-1");
    await rt.start("calc-2");
    for (let i = 0; i < 5; i++)
      expect(await rt.execute({ type: "calc", strategy: "last-key" }, "add", i, 1)).toBe(i + 1);
    expect(rt.instances().map((i) => `${i.id} ${i.calls}`)).toEqual(["calc-1 0", "calc-2 5"]);
    expect(handed).toHaveLength(5);
    expect(new Set(handed).size).toBe(1);
  });

  it("spreads the calls to a module whose manifest names it among its replicas", async () => {
    h.ws.module({
      name: "pool",
      chipset: { isolation: "worker", replicas: { min: 2, strategy: "last-key" } },
      code: `import { threadId } from "node:worker_threads";
        export const module = defineModule({ api: { who() { return threadId; } } });`,
    });
    const rt = open();
    lastByKey(rt, "last-key");
    await rt.start("pool");
    await expect.poll(() => rt.instances().filter((i) => i.state === "running").length).toBe(2);
    const answers = new Set(await Promise.all(Array.from({ length: 6 }, () => rt.call("pool", "who"))));
    expect(answers.size).toBe(1);
    const second = rt.instances().find((i) => i.key === "pool@1.0.0#1");
    expect(second?.calls).toBe(6);
  });
});

describe("the health of an engine that runs as one instance", () => {
  it("is watched like a replica's: its failing calls make it degraded, as engines() and replica.health say", async () => {
    engine("calc-1");
    const rt = open();
    const changes: string[] = [];
    rt.on("replica.health", (e) => changes.push(`${e.id}#${e.replica} ${e.from}->${e.to}`));
    expect(await rt.execute({ type: "calc" }, "add", 1, 1)).toBe(2);
    for (let i = 0; i < 12; i++)
      await expect(rt.execute({ type: "calc" }, "broken")).rejects.toMatchObject({
        code: ErrorCodes.CALL_FAILED,
      });
    expect(changes).toEqual(["calc-1#0 unknown->healthy", "calc-1#0 healthy->degraded"]);
    expect(rt.engines()[0]?.members.map((m) => `${m.key} ${m.health}`)).toEqual(["calc-1@1.0.0 degraded"]);
    // The only member of its pool still takes calls.
    expect(await rt.execute({ type: "calc" }, "add", 2, 2)).toBe(4);
  });
});

describe("an application's own health check", () => {
  it("takes the engine it fails out of rotation, with its reason, once it failed 5 times in a row", async () => {
    engine("calc-1");
    engine("calc-2");
    const clock = new ManualClock();
    const rt = open({ clock });
    await rt.start("calc-1");
    await rt.start("calc-2");
    const checked: string[] = [];
    rt.dispatch.registerHealthCheck(
      (target) => {
        checked.push(target.key);
        return target.id === "calc-2" ? { ok: false, reason: "its disk is full" } : true;
      },
      { type: "calc", intervalMs: 1_000 },
    );
    const unhealthy = new Promise<RuntimeEvents["replica.health"]>((resolve) =>
      rt.on("replica.health", (e) => e.to === "unhealthy" && resolve(e)),
    );
    // replicas.health.failureThreshold: 5 by default (Envoy's consecutive_5xx).
    for (let round = 1; round <= 5; round++) {
      clock.advance(1_000);
      await expect.poll(() => checked.length).toBe(2 * round);
    }
    expect(await unhealthy).toMatchObject({
      id: "calc-2",
      reason: expect.stringContaining("its disk is full") as unknown,
    });
    for (let i = 0; i < 4; i++) await rt.execute({ type: "calc" }, "add", 1, 1);
    expect(rt.instances().map((i) => `${i.id} ${i.calls}`)).toEqual(["calc-1 4", "calc-2 0"]);
  });

  it("refuses a check that is not a function, or an interval that is not a whole number of ms", () => {
    const rt = open();
    expect(() => rt.dispatch.registerHealthCheck("yes" as never)).toThrow(/check must be a function/);
    expect(() => rt.dispatch.registerHealthCheck(() => true, { intervalMs: 0.5 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.OPTIONS_INVALID }),
    );
  });
});
