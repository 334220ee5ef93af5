import { describe, expect, it } from "vitest";
import {
  ChipsetError,
  defineModule,
  ManualClock,
  type Runtime,
  type RuntimeOptions,
} from "../../src/index.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import type { ChipsetManifest } from "../../src/vocabulary/manifest.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { crash, next } from "./helpers.js";

const h = runtimeHarness();

/** A worker module that counts calls, checkpoints the count, and can be made to crash. */
const counter = (restart: ChipsetManifest["restart"] = {}, extra: Partial<ChipsetManifest> = {}) =>
  h.ws.module({
    name: "counter",
    chipset: { isolation: "worker", restart, ...extra },
    code: `
      let count = 0; let ctxRef; let imported = null;
      export const module = defineModule({
        init(ctx) { ctxRef = ctx; },
        importState(state, from) { imported = { state, from }; count = state.count; },
        api: {
          async bump() { count++; await ctxRef.checkpoint({ count }); return count; },
          count() { return count; },
          imported() { return imported; },
          die(code = 1) { setTimeout(() => process.exit(code), 0); return new Promise(() => {}); },
        },
      });`,
  });

/** A runtime on a manual clock (backoff delays pass only when the test says so). */
function open(options: RuntimeOptions = {}): { rt: Runtime; clock: ManualClock } {
  const clock = new ManualClock();
  const rt = h.open({ clock, random: () => 0, hosts: { pool: { worker: 0, process: 0 } }, ...options });
  return { rt, clock };
}

/** A runtime on the real clock, for modules restarted with no backoff (`initialDelayMs: 0`). */
function openRealTime(): Runtime {
  return h.open({ random: () => 0, hosts: { pool: { worker: 0, process: 0 } } });
}

describe("supervision of a worker module", () => {
  it("rejects the call in flight with MODULE_CRASHED, then restarts after the backoff and serves again", async () => {
    counter();
    const { rt, clock } = open();
    expect(await rt.call("counter", "bump")).toBe(1);
    const crashed = next(rt, "module.crashed");
    const restarting = next(rt, "module.restarting");
    const err = await crash(rt, "counter");
    expect(err.code).toBe(ErrorCodes.MODULE_CRASHED);
    expect(err.details.kind).toBe("exit");
    expect((await crashed).kind).toBe("exit");
    expect(await restarting).toMatchObject({ attempt: 1, delayMs: 100 });
    expect(rt.queries.info("counter").state).toBe("crashed");
    // Down: fails fast (no fallback declared) instead of waiting for the restart.
    await expect(rt.call("counter", "count")).rejects.toMatchObject({ code: ErrorCodes.MODULE_DOWN });
    const restarted = next(rt, "module.restarted");
    clock.advance(100);
    expect((await restarted).attempt).toBe(1);
    expect(rt.queries.info("counter").state).toBe("running");
    // The checkpoint came back through importState.
    expect(await rt.call("counter", "imported")).toEqual({ state: { count: 1 }, from: "1.0.0" });
    expect(await rt.call("counter", "bump")).toBe(2);
    const info = rt.queries.info("counter");
    expect(info.instance?.host.isolation).toBe("worker");
    expect(info.instance?.host.threadId).toBeGreaterThan(0);
    expect(info.crashes).toMatchObject([{ kind: "exit", action: "restart", delayMs: 100 }]);
  });

  it("doubles the backoff with each crash and starts again from the first delay after a stable uptime", async () => {
    counter({ resetAfterMs: 10_000, maxRestarts: 10 });
    const { rt, clock } = open();
    await rt.start("counter");
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const restarting = next(rt, "module.restarting");
      await crash(rt, "counter");
      const { delayMs } = await restarting;
      delays.push(delayMs);
      const restarted = next(rt, "module.restarted");
      clock.advance(delayMs);
      await restarted;
    }
    expect(delays).toEqual([100, 200, 400]);
    clock.advance(10_000); // stable for resetAfterMs
    const restarting = next(rt, "module.restarting");
    await crash(rt, "counter");
    expect((await restarting).delayMs).toBe(100);
  });

  it("gives up after maxRestarts within withinMs: failed, with its crash history in the event", async () => {
    counter({ maxRestarts: 2, withinMs: 60_000, initialDelayMs: 0 });
    const rt = openRealTime();
    await rt.start("counter");
    for (let i = 0; i < 2; i++) {
      const restarted = next(rt, "module.restarted");
      await crash(rt, "counter");
      await restarted;
    }
    const gaveUp = next(rt, "module.gave-up");
    await crash(rt, "counter");
    const event = await gaveUp;
    expect(event.restarts).toBe(2);
    expect(event.crashes.map((c) => c.action)).toEqual(["gave-up", "restart", "restart"]);
    expect(rt.queries.info("counter").state).toBe("failed");
    await expect(rt.call("counter", "count")).rejects.toMatchObject({ code: ErrorCodes.MODULE_DOWN });
  });

  it("never restarts a temporary module: it stays crashed and its calls fail fast", async () => {
    counter({ policy: "temporary" });
    const rt = openRealTime();
    await rt.start("counter");
    const crashed = next(rt, "module.crashed");
    await crash(rt, "counter");
    await crashed;
    expect(rt.queries.info("counter").state).toBe("crashed");
    expect(rt.queries.info("counter").crashes[0]).toMatchObject({ action: "none" });
    await expect(rt.call("counter", "count")).rejects.toMatchObject({ code: ErrorCodes.MODULE_DOWN });
  });

  it("restarts a transient module after an abnormal exit", async () => {
    counter({ policy: "transient", initialDelayMs: 0 });
    const rt = openRealTime();
    await rt.start("counter");
    const restarted = next(rt, "module.restarted");
    await crash(rt, "counter", 7);
    await restarted;
    expect(rt.queries.info("counter").state).toBe("running");
    expect(rt.queries.info("counter").crashes[0]).toMatchObject({ kind: "exit", action: "restart" });
  });
});

describe.each(["worker", "process"] as const)(
  "a module that ends its own %s with exit code 0",
  (isolation) => {
    it.each(["transient", "temporary"] as const)(
      "under policy %s ended normally: unloaded, neither crashed nor restarted, and the next call loads it again",
      async (policy) => {
        counter({ policy, initialDelayMs: 0 }, { isolation });
        const rt = openRealTime();
        await rt.start("counter");
        expect(await rt.call("counter", "bump")).toBe(1);
        const firstHost = rt.queries.info("counter").instance!.host;
        const seen: string[] = [];
        for (const name of ["module.crashed", "module.restarting", "module.dependency"] as const)
          rt.on(name, () => seen.push(name));
        const ended = Promise.race([
          next(rt, "module.unloaded").then((e) => `unloaded (${e.reason})`),
          next(rt, "module.crashed").then((e) => `crashed (${e.kind})`),
        ]);

        // The call in flight cannot be answered: it says how the module ended, not that it crashed.
        const inFlight = await crash(rt, "counter", 0);
        expect(inFlight.details).toMatchObject({ kind: "exit", exitCode: 0 });
        expect(inFlight.message).toMatch(/ended its own .* with exit code 0/);
        expect(inFlight.message).not.toMatch(/crashed|must not/);

        expect(await ended).toBe("unloaded (exited)");
        const info = rt.queries.info("counter");
        expect(info.state).toBe("registered");
        expect(info.instance?.lastError ?? null).toBeNull();
        expect(info.crashes).toEqual([]);
        expect(seen).toEqual([]);

        // Not down: the next call loads it afresh, in a new host.
        const started = next(rt, "module.started");
        expect(await rt.call("counter", "count")).toBe(0);
        expect((await started).host.pid + (await started).host.threadId).not.toBe(
          firstHost.pid + firstHost.threadId,
        );
        expect(rt.queries.info("counter").state).toBe("running");
      },
    );
  },
);

describe("dependents of a crashed module", () => {
  it("are told, and continue (calls fail fast), stop, or stop and come back after it restarts", async () => {
    counter({ initialDelayMs: 50 });
    const told: string[] = [];
    const { rt, clock } = open();
    const dependent = (name: string, onDependencyCrash: "continue" | "stop" | "restart") =>
      rt.register(
        {
          name,
          version: "1.0.0",
          chipset: { kind: "test", requires: { counter: "^1.0.0" }, restart: { onDependencyCrash } },
        },
        defineModule({
          dependencyChanged: (c) => void told.push(`${name}: ${c.id} ${c.status}`),
          api: { ping: () => "pong" },
        }),
      );
    dependent("keeps", "continue");
    dependent("stops", "stop");
    dependent("returns", "restart");
    for (const id of ["keeps", "stops", "returns"]) await rt.start(id);
    const stopped = Promise.all([
      next(rt, "module.stopped", (e) => e.id === "stops"),
      next(rt, "module.stopped", (e) => e.id === "returns"),
    ]);
    await crash(rt, "counter");
    await stopped;
    expect(rt.queries.info("keeps").state).toBe("running");
    expect(rt.queries.info("stops").state).toBe("stopped");
    expect(rt.queries.info("returns").state).toBe("stopped");
    expect(told).toEqual(expect.arrayContaining(["keeps: counter crashed"]));
    const back = next(rt, "module.started", (e) => e.id === "returns");
    clock.advance(50);
    await back;
    expect(rt.queries.info("returns").state).toBe("running");
    expect(rt.queries.info("stops").state).toBe("stopped");
    expect(told).toEqual(expect.arrayContaining(["keeps: counter restarted"]));
  });
});

describe("a crash while a dependency is down", () => {
  it("waits for the dependency to come back before restarting, then restarts without failing", async () => {
    counter({ initialDelayMs: 100 });
    h.ws.module({
      name: "player",
      chipset: { isolation: "worker", requires: { counter: "^1.0.0" }, restart: { initialDelayMs: 10 } },
      code: `let c; export const module = defineModule({
        init(ctx) { c = ctx.use("counter"); },
        api: { play() { return c.count(); }, die() { setTimeout(() => process.exit(1), 0); return new Promise(() => {}); } },
      });`,
    });
    const { rt, clock } = open();
    await rt.start("player");
    const errors: unknown[] = [];
    rt.on("runtime.error", (e) => errors.push(e.error));
    const order: string[] = [];
    rt.on("module.restarted", (e) => order.push(e.id));
    const counterDown = next(rt, "module.restarting", (e) => e.id === "counter");
    await crash(rt, "counter");
    await counterDown;
    const playerDown = next(rt, "module.restarting", (e) => e.id === "player");
    await crash(rt, "player");
    await playerDown;
    clock.advance(10); // the player's turn comes first, but counter is still down: it waits
    expect(rt.queries.info("player").state).toBe("crashed");
    const bothBack = next(rt, "module.restarted", (e) => e.id === "player");
    clock.advance(90);
    await bothBack;
    expect(order).toEqual(["counter", "player"]);
    expect(await rt.call("player", "play")).toBe(0);
    expect(errors).toEqual([]);
  });
});

describe("fallback", () => {
  it("sends calls to the fallback module while the module is down, and back once it is restarted", async () => {
    h.ws.module({
      name: "video-player",
      chipset: { isolation: "worker", fallback: "image-viewer", restart: { initialDelayMs: 20 } },
      code: `export const module = defineModule({ api: {
        show(file) { return "video " + file; },
        die() { setTimeout(() => process.exit(1), 0); return new Promise(() => {}); },
      } });`,
    });
    h.ws.module({
      name: "image-viewer",
      code: `export const module = defineModule({ api: { show(file) { return "still image of " + file; } } });`,
    });
    const { rt, clock } = open();
    expect(await rt.call("video-player", "show", ["a.mp4"])).toBe("video a.mp4");
    const switches: boolean[] = [];
    rt.on("module.fallback", (e) => switches.push(e.active));
    const crashed = next(rt, "module.crashed");
    await crash(rt, "video-player");
    await crashed;
    expect(await rt.call("video-player", "show", ["a.mp4"])).toBe("still image of a.mp4");
    const restarted = next(rt, "module.restarted");
    clock.advance(20);
    await restarted;
    expect(await rt.call("video-player", "show", ["a.mp4"])).toBe("video a.mp4");
    expect(switches).toEqual([true, false]);
  });
});

describe("a process module", () => {
  it("is restarted in a new process after it exits, and chipset info shows its pid", async () => {
    counter({ initialDelayMs: 0 }, { isolation: "process" });
    const rt = openRealTime();
    await rt.call("counter", "bump");
    const pid = rt.queries.info("counter").instance!.host.pid;
    expect(pid).not.toBe(process.pid);
    const restarted = next(rt, "module.restarted");
    await crash(rt, "counter");
    await restarted;
    const again = rt.queries.info("counter").instance!.host.pid;
    expect(again).not.toBe(pid);
    expect(await rt.call("counter", "count")).toBe(1);
  });
});

describe("a caller that calls again at once while the module is down", () => {
  it("does not keep the restart from running: its calls fail with MODULE_DOWN until the module serves again", async () => {
    counter({ initialDelayMs: 5 });
    const rt = openRealTime();
    expect(await rt.call("counter", "bump")).toBe(1);
    await crash(rt, "counter");
    const codes = new Set<string>();
    // No wait between calls: each refusal must still let the event loop (and the restart's timer)
    // turn. Bounded, so that refusals that never yield fail the test instead of hanging it.
    let served = false;
    for (let i = 0; i < 5_000_000 && !served; i++) {
      try {
        await rt.call("counter", "count");
        served = true;
      } catch (err) {
        codes.add((err as ChipsetError).code);
      }
    }
    expect(served).toBe(true);
    expect([...codes]).toEqual([ErrorCodes.MODULE_DOWN]);
  });
});
