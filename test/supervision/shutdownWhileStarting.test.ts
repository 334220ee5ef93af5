import { BroadcastChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { defineModule, ManualClock } from "../../src/index.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { flush } from "./helpers.js";
import { internals } from "../support/internals.js";

const h = runtimeHarness();

describe("shutdown while modules are still coming up", () => {
  it("ends a worker host that was still loading its module when the shutdown deadline passed", async () => {
    // The module's import waits for a "go" from the test (top-level await).
    h.ws.module({
      name: "slow",
      chipset: { isolation: "worker" },
      code: `
        const bc = new BroadcastChannel("chipset-supervision-slow-import");
        await new Promise((resolve) => {
          bc.onmessage = (e) => { if (e.data === "go") resolve(); };
          bc.postMessage("importing");
        });
        bc.close();
        export const module = defineModule({ api: { ping() { return "pong"; } } });`,
    });
    const bc = new BroadcastChannel("chipset-supervision-slow-import");
    const importing = new Promise<void>((resolve) => {
      bc.onmessage = (e) => {
        if ((e as MessageEvent).data === "importing") resolve();
      };
    });
    const clock = new ManualClock();
    const rt = h.open({ clock, shutdownTimeoutMs: 1000, hosts: { pool: { worker: 0, process: 0 } } });
    const pool = internals(rt).pool;
    try {
      const call = rt.call("slow", "ping").then(
        (value) => value,
        (err: unknown) => err,
      );
      await importing;
      const closing = rt.close();
      let closed = false;
      void closing.then(() => (closed = true));
      clock.advance(1000); // shutdown deadline: the activation is still importing
      await flush(); // shutdown has run to pool.close(); the import cannot finish without "go"
      bc.postMessage("go");
      const answer = await call;
      // Expected: the host was ended by shutdown; the call fails and close() completes.
      expect(answer).toBeInstanceOf(Error); // not "pong": nothing is served after close()
      await closing; // pool.close() resolves once every host has exited
      expect(closed).toBe(true);
      expect(pool.live).toBe(0);
    } finally {
      bc.close();
      await pool.destroy(); // in case the test failed before close() finished
    }
  });

  it("does not put its process listeners back after close when a late hook of an inline module runs", async () => {
    const clock = new ManualClock();
    const rt = h.open({ clock, shutdownTimeoutMs: 1000, hosts: { pool: { worker: 0, process: 0 } } });
    const baseline = process.listenerCount("uncaughtException");
    const baselineRejection = process.listenerCount("unhandledRejection");
    let finishInit: (() => void) | undefined;
    rt.register(
      { name: "late", version: "1.0.0", chipset: { kind: "test" } },
      defineModule({
        init: () => new Promise<void>((r) => (finishInit = r)),
        start() {},
        api: { ping: () => "pong" },
      }),
    );
    const call = rt.call("late", "ping").catch((e: unknown) => e);
    try {
      await flush();
      expect(finishInit).toBeDefined(); // init is running (inside the crash trap)
      expect(process.listenerCount("uncaughtException")).toBe(baseline + 1);
      const closing = rt.close();
      clock.advance(1000); // shutdown deadline passes while init still runs
      await closing;
      expect(process.listenerCount("uncaughtException")).toBe(baseline);
      finishInit!(); // the activation goes on: start runs after close
      await call;
      expect(process.listenerCount("uncaughtException")).toBe(baseline);
      expect(process.listenerCount("unhandledRejection")).toBe(baselineRejection);
    } finally {
      internals(rt).trap?.dispose(); // do not leak into other tests
    }
  });
});
