import { describe, expect, it } from "vitest";
import { ManualClock, type Runtime, type RuntimeOptions } from "../../src/index.js";
import { ErrorCodes } from "../../src/errors/codes.js";
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

/** Resolves once `count` calls are held inside engines. */
function held(count: number): Promise<void> {
  const channel = new BroadcastChannel("held");
  let seen = 0;
  return new Promise((resolve) => {
    channel.onmessage = () => {
      if (++seen < count) return;
      channel.close();
      resolve();
    };
  });
}

function release(): void {
  const channel = new BroadcastChannel("release");
  channel.postMessage("go");
  channel.close();
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
