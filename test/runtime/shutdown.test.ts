// What shutdown reports for each module: stopped, failed to stop, or already down (crashed,
// restarting, given up on) when shutdown reached it. Real worker modules on a manual clock.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BroadcastChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { ManualClock, type Runtime, type RuntimeEvents, type ShutdownReport } from "../../src/index.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import type { ChipsetManifest } from "../../src/vocabulary/manifest.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { crash, dieMethod, next } from "../supervision/helpers.js";

const h = runtimeHarness();

/** A worker module `name` that can be made to crash with `die()`. */
function crashable(name: string, restart: ChipsetManifest["restart"]): void {
  h.ws.module({
    name,
    chipset: { isolation: "worker", restart },
    code: `export const module = defineModule({ api: { ping() { return "pong"; }, ${dieMethod} } });`,
  });
}

/** `report.down` with each error reduced to its code. */
function downCodes(report: {
  down: ShutdownReport["down"];
}): Array<{ id: string; status: string; code?: string }> {
  return report.down.map((d) => ({ id: d.id, status: d.status, code: d.error?.code }));
}

/** A runtime whose backoff delays pass only when the test advances the clock. */
function open(): Runtime {
  return h.open({ clock: new ManualClock(), random: () => 0, hosts: { pool: { worker: 0, process: 0 } } });
}

describe("the shutdown report", () => {
  it("names a module that crashed and waits for its restart as down, with its crash, next to the ones it stopped", async () => {
    crashable("steady", {});
    crashable("flaky", { initialDelayMs: 1000 });
    const rt = open();
    await rt.call("steady", "ping");
    await rt.call("flaky", "ping");
    const restarting = next(rt, "module.restarting");
    await crash(rt, "flaky");
    await restarting; // its restart is due in 1000 ms, which never pass
    const stoppedEvent = next(rt, "runtime.stopped");

    const report = await rt.close();

    expect(report.stopped).toEqual(["steady"]);
    expect(report.failed).toEqual([]);
    expect(downCodes(report)).toEqual([{ id: "flaky", status: "crashed", code: ErrorCodes.MODULE_CRASHED }]);
    const event: RuntimeEvents["runtime.stopped"] = await stoppedEvent;
    expect(event.down).toEqual(report.down);
  });

  it("names a module whose restart was still loading it as down and restarting", async () => {
    // Imported again by its restart, the module waits forever once the marker file exists.
    const marker = join(h.ws.root, "hold-the-import");
    h.ws.module({
      name: "slow",
      chipset: { isolation: "worker", restart: { initialDelayMs: 100 } },
      code: `
        import { existsSync } from "node:fs";
        if (existsSync(${JSON.stringify(marker)})) {
          new BroadcastChannel("chipset-shutdown-restarting").postMessage("importing");
          await new Promise(() => {});
        }
        export const module = defineModule({ api: { ping() { return "pong"; }, ${dieMethod} } });`,
    });
    const clock = new ManualClock();
    const rt = h.open({ clock, random: () => 0, hosts: { pool: { worker: 0, process: 0 } } });
    await rt.call("slow", "ping");
    writeFileSync(marker, "");
    const bc = new BroadcastChannel("chipset-shutdown-restarting");
    try {
      const importing = new Promise<void>((resolve) => (bc.onmessage = () => resolve()));
      const restarting = next(rt, "module.restarting");
      await crash(rt, "slow");
      await restarting;
      clock.advance(100);
      await importing;

      const report = await rt.close();

      expect(report.stopped).toEqual([]);
      expect(downCodes(report)).toEqual([
        { id: "slow", status: "restarting", code: ErrorCodes.MODULE_CRASHED },
      ]);
    } finally {
      bc.close();
    }
  });

  it("names a module that was given up on as down and failed", async () => {
    crashable("fragile", { maxRestarts: 0 });
    const rt = open();
    await rt.call("fragile", "ping");
    const gaveUp = next(rt, "module.gave-up");
    await crash(rt, "fragile");
    await gaveUp;

    const report = await rt.close();

    expect(report.stopped).toEqual([]);
    expect(downCodes(report)).toEqual([{ id: "fragile", status: "failed", code: ErrorCodes.MODULE_CRASHED }]);
  });

  it("leaves out modules that were never loaded or were stopped on request", async () => {
    crashable("idle", {});
    crashable("done", {});
    const rt = open();
    await rt.call("done", "ping");
    await rt.stop("done");

    const report = await rt.close();

    expect(report).toEqual({ stopped: [], failed: [], down: [] });
  });
});
