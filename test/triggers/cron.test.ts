import { describe, expect, it } from "vitest";
import { ManualClock, type Runtime } from "../../src/index.js";
import type { RuntimeEvents } from "../../src/runtime/RuntimeEvents.js";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();

// The ManualClock's epoch is 2023-11-14T22:13:20Z: "*/5 * * * *" ticks first at 22:15:00, 100 s later.
const FIRST_TICK_MS = 100_000;

/** A lazy module whose only activation is its cron trigger: `sweep` counts its calls. */
function writeSweeper(code?: string): void {
  h.ws.module({
    name: "sweeper",
    chipset: { activation: "lazy", triggers: [{ cron: "*/5 * * * *", call: "sweep" }] },
    code:
      code ??
      `let n = 0;
export const module = defineModule({ api: { sweep(event) { n++; globalThis.__trace?.push("sweep " + n + " at " + event.scheduledAt); return n; } } });`,
  });
}

/** The next `name` event. */
function next<K extends keyof RuntimeEvents>(rt: Runtime, name: K): Promise<RuntimeEvents[K]> {
  return new Promise((resolve) => {
    const sub = rt.on(name, (event) => {
      sub.dispose();
      resolve(event);
    });
  });
}

/**
 * Moves `clock` a second at a time, letting the runtime's promises run between steps (the idle
 * sweep schedules its next run once the last one is over), for `ms` or until `until` settles.
 */
async function step(clock: ManualClock, ms: number, until?: Promise<unknown>): Promise<void> {
  let done = false;
  void until?.then(() => (done = true));
  for (let t = 0; t < ms && !done; t += 1_000) {
    clock.advance(1_000);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("cron triggers", () => {
  it("fire once per tick through the call path, loading the module on demand", async () => {
    writeSweeper();
    const clock = new ManualClock();
    const rt = h.open({ clock, triggers: { timeZone: "UTC" } });
    await rt.start();
    expect(rt.queries.info("sweeper").state).toBe("registered");
    expect(rt.triggers.list()).toMatchObject([
      {
        id: "sweeper",
        kind: "cron",
        cron: "*/5 * * * *",
        timeZone: "UTC",
        nextRun: "2023-11-14T22:15:00.000Z",
        last: null,
      },
    ]);
    const fired: Array<RuntimeEvents["trigger.fired"]> = [];
    rt.on("trigger.fired", (e) => fired.push(e));

    clock.advance(FIRST_TICK_MS - 1);
    expect(fired).toEqual([]);
    const completed = next(rt, "trigger.completed");
    clock.advance(1);
    expect(await completed).toMatchObject({
      id: "sweeper",
      trigger: 0,
      kind: "cron",
      call: "sweep",
      ok: true,
    });
    expect(fired).toEqual([
      {
        id: "sweeper",
        version: "1.0.0",
        trigger: 0,
        kind: "cron",
        call: "sweep",
        tick: "2023-11-14T22:15:00.000Z",
      },
    ]);
    expect(rt.queries.info("sweeper").state).toBe("running");

    // Nothing more until the next tick, whatever the clock does in between; then exactly one.
    clock.advance(299_999);
    expect(fired).toHaveLength(1);
    const second = next(rt, "trigger.completed");
    clock.advance(1);
    await second;
    expect(fired.map((e) => e.tick)).toEqual(["2023-11-14T22:15:00.000Z", "2023-11-14T22:20:00.000Z"]);
    expect(h.log).toEqual(["sweep 1 at 2023-11-14T22:15:00.000Z", "sweep 2 at 2023-11-14T22:20:00.000Z"]);
    expect(rt.triggers.list()[0]).toMatchObject({
      fired: 2,
      missed: 0,
      nextRun: "2023-11-14T22:25:00.000Z",
      last: { ok: true, at: clock.wallNow() },
    });
  });

  it("report a tick missed while the machine slept, and do not replay it", async () => {
    writeSweeper();
    const clock = new ManualClock();
    const rt = h.open({ clock, triggers: { timeZone: "UTC" } });
    await rt.start();
    const first = next(rt, "trigger.completed");
    clock.advance(FIRST_TICK_MS);
    await first;
    const fired: string[] = [];
    rt.on("trigger.fired", (e) => fired.push(e.tick!));
    const missed = next(rt, "trigger.missed");
    clock.sleep(920_000); // over 15 minutes asleep: 22:20, 22:25 and 22:30 pass unseen (22:30 by over a minute)
    clock.advance(60_000);
    expect(await missed).toEqual({
      id: "sweeper",
      version: "1.0.0",
      trigger: 0,
      kind: "cron",
      call: "sweep",
      first: "2023-11-14T22:20:00.000Z",
      last: "2023-11-14T22:30:00.000Z",
      count: 3,
    });
    expect(fired).toEqual([]);
    const after = next(rt, "trigger.completed");
    clock.advance(300_000);
    await after;
    expect(fired).toEqual(["2023-11-14T22:35:00.000Z"]);
    expect(rt.triggers.list()[0]).toMatchObject({ fired: 2, missed: 3 });
  });

  it("keep the failure of the call as the trigger's last outcome", async () => {
    writeSweeper(
      `export const module = defineModule({ api: { sweep() { throw new Error("the disk is full"); } } });`,
    );
    const clock = new ManualClock();
    const rt = h.open({ clock, triggers: { timeZone: "UTC" } });
    await rt.start();
    const completed = next(rt, "trigger.completed");
    clock.advance(FIRST_TICK_MS);
    const event = await completed;
    expect(event).toMatchObject({ ok: false, error: { code: "CHIP_ERR_CALL_FAILED" } });
    const last = rt.triggers.list()[0]!.last;
    expect(last).toMatchObject({ ok: false, code: "CHIP_ERR_CALL_FAILED" });
    expect(last?.message).toContain("the disk is full");
  });

  it("fire only while the runtime is started", async () => {
    writeSweeper();
    const clock = new ManualClock();
    const rt = h.open({ clock, triggers: { timeZone: "UTC" } });
    const fired: unknown[] = [];
    rt.on("trigger.fired", (e) => fired.push(e));
    clock.advance(FIRST_TICK_MS * 4);
    expect(fired).toEqual([]);
    await rt.start();
    await rt.close();
    clock.advance(FIRST_TICK_MS * 4);
    expect(fired).toEqual([]);
    expect(clock.alive).toBe(0);
  });

  it("read the schedule in the configured time zone", () => {
    h.ws.module({
      name: "morning",
      chipset: { triggers: [{ cron: "0 9 * * *", call: "report" }] },
      code: `export const module = defineModule({ api: { report() {} } });`,
    });
    const rt = h.open({ clock: new ManualClock(), triggers: { timeZone: "Asia/Tokyo" } });
    // 22:13 UTC is 07:13 in Tokyo: 09:00 there is 00:00 UTC.
    expect(rt.triggers.list()[0]).toMatchObject({
      timeZone: "Asia/Tokyo",
      nextRun: "2023-11-15T00:00:00.000Z",
    });
  });
});

describe("scale to zero", () => {
  it("unloads a module that only its triggers use once it is idle, and its next tick loads it again", async () => {
    writeSweeper();
    const clock = new ManualClock();
    const rt = h.open({ clock, preload: 0, triggers: { timeZone: "UTC", idleUnloadMs: 60_000 } });
    await rt.start();
    const completed = next(rt, "trigger.completed");
    clock.advance(FIRST_TICK_MS);
    await completed;
    expect(rt.queries.info("sweeper").state).toBe("running");

    const unloaded = next(rt, "module.unloaded");
    await step(clock, 120_000, unloaded);
    expect(await unloaded).toMatchObject({ id: "sweeper", reason: "idle" });
    expect(rt.queries.info("sweeper").state).toBe("registered");

    // To the next tick (22:20) at once: the clock stands still while the module loads again.
    const loaded = next(rt, "module.loaded");
    const again = next(rt, "trigger.completed");
    clock.advance(FIRST_TICK_MS + 300_000 - clock.now());
    expect(await loaded).toMatchObject({ id: "sweeper", preload: false });
    expect(await again).toMatchObject({ ok: true });
    expect(rt.queries.info("sweeper").state).toBe("running");
    // A fresh instance: its counter started again.
    expect(h.log).toEqual(["sweep 1 at 2023-11-14T22:15:00.000Z", "sweep 1 at 2023-11-14T22:20:00.000Z"]);
  });

  it("keeps a module with triggers loaded while an eager module depends on it", async () => {
    writeSweeper();
    h.ws.module({ name: "app", chipset: { activation: "eager", requires: { sweeper: "^1.0.0" } } });
    const clock = new ManualClock();
    const rt = h.open({ clock, preload: 0, triggers: { timeZone: "UTC", idleUnloadMs: 1_000 } });
    await rt.start();
    const unloads: unknown[] = [];
    rt.on("module.unloaded", (e) => unloads.push(e));
    await step(clock, 10_000);
    expect(unloads).toEqual([]);
    expect(rt.queries.info("sweeper").state).toBe("running");
  });
});
