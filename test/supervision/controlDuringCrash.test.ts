import { describe, expect, it } from "vitest";
import { defineModule, ManualClock, type Runtime } from "../../src/index.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import type { ChipsetManifest } from "../../src/vocabulary/manifest.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { captureRestarts, crash, dieMethod, next } from "./helpers.js";

const h = runtimeHarness();

function open(): { rt: Runtime; clock: ManualClock } {
  const clock = new ManualClock();
  const rt = h.open({ clock, random: () => 0, hosts: { pool: { worker: 0, process: 0 } } });
  return { rt, clock };
}

const player = (extra: Partial<ChipsetManifest> = {}) =>
  h.ws.module({
    name: "player",
    chipset: { isolation: "worker", restart: { initialDelayMs: 100 }, ...extra },
    code: `export const module = defineModule({ api: {
      show(f) { return "video " + f; },
      ${dieMethod}
    } });`,
  });

/** An inline module registered in code that requires `player` and keeps running when it crashes. */
function dependent(rt: Runtime): void {
  rt.register(
    { name: "ui", version: "1.0.0", chipset: { kind: "test", requires: { player: "^1.0.0" } } },
    defineModule({ api: { ping: () => "pong" } }),
  );
}

describe("control requests that race with supervision", () => {
  it("an unload refused with MODULE_IN_USE leaves the crashed module's restart and fallback in place", async () => {
    player({ fallback: "viewer" });
    h.ws.module({
      name: "viewer",
      code: `export const module = defineModule({ api: { show(f) { return "still " + f; } } });`,
    });
    const { rt, clock } = open();
    dependent(rt);
    await rt.start("ui");
    const switches: boolean[] = [];
    rt.on("module.fallback", (e) => switches.push(e.active));
    const crashed = next(rt, "module.crashed");
    await crash(rt, "player");
    await crashed;
    expect(await rt.call("player", "show", ["a"])).toBe("still a");

    // Refused: "ui" still runs on it. Nothing should have changed.
    await expect(rt.unload("player")).rejects.toMatchObject({ code: ErrorCodes.MODULE_IN_USE });

    expect(switches).toEqual([true]);
    expect(await rt.call("player", "show", ["a"])).toBe("still a");
    const restarted = next(rt, "module.restarted");
    clock.advance(100);
    await restarted;
  });

  it("a stop refused with MODULE_IN_USE does not switch supervision off for the running module", async () => {
    player();
    const { rt } = open();
    dependent(rt);
    await rt.start("ui");
    await expect(rt.stop("player")).rejects.toMatchObject({ code: ErrorCodes.MODULE_IN_USE });
    expect(rt.queries.info("player").state).toBe("running");

    const crashed = next(rt, "module.crashed");
    await crash(rt, "player");
    await crashed;
    // Expected: a crash of a module that was never stopped is restarted by its policy.
    expect(rt.queries.info("player").crashes[0]).toMatchObject({ action: "restart" });
  });

  it("a stop requested while a restart is in progress is honoured: the module stays stopped", async () => {
    player();
    const { rt, clock } = open();
    await rt.start("player");
    const restarts = captureRestarts(rt);
    const restarting = next(rt, "module.restarting");
    await crash(rt, "player");
    await restarting;
    let stopping: Promise<void> | undefined;
    // The restart has just loaded the new host: the user stops the module now.
    const hook = rt.hook("after:load", () => void (stopping = rt.stop("player")), { module: "player" });
    const restartedEvents: string[] = [];
    rt.on("module.restarted", (e) => restartedEvents.push(e.id));
    clock.advance(100);
    await restarts[0];
    hook.dispose();
    await stopping;
    expect(restartedEvents).toEqual([]);
    expect(rt.queries.info("player").state).toBe("stopped");
  });

  it("an unload requested while a restart is loading the module is honoured", async () => {
    player();
    const { rt, clock } = open();
    await rt.start("player");
    const restarts = captureRestarts(rt);
    const restarting = next(rt, "module.restarting");
    await crash(rt, "player");
    await restarting;
    let unloading: Promise<void> | undefined;
    // During the restart's load the instance is still "registered": unload() returns at once.
    const hook = rt.hook("before:load", () => void (unloading = rt.unload("player")), { module: "player" });
    clock.advance(100);
    await restarts[0];
    hook.dispose();
    await unloading;
    expect(rt.queries.info("player").state).toBe("registered");
  });
});
