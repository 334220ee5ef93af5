import { describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import { CronSchedule } from "./CronSchedule.js";
import { CronTimer } from "./CronTimer.js";

// ManualClock's epoch, 1_700_000_000_000, is 2023-11-14T22:13:20Z.
const iso = (ms: number) => new Date(ms).toISOString();

function timer(expression: string, clock = new ManualClock()) {
  const fired: string[] = [];
  const missed: Array<{ first: string; last: string; count: number }> = [];
  const t = new CronTimer(clock, new CronSchedule(expression, "UTC"), {
    fire: (tick) => fired.push(iso(tick)),
    missed: (first, last, count) => missed.push({ first: iso(first), last: iso(last), count }),
  });
  return { clock, t, fired, missed };
}

describe("CronTimer", () => {
  it("fires each tick once, on time, as the clock moves", () => {
    const { clock, t, fired, missed } = timer("*/5 * * * *");
    t.start();
    expect(iso(t.nextRun!)).toBe("2023-11-14T22:15:00.000Z");
    clock.advance(99_999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(["2023-11-14T22:15:00.000Z"]);
    clock.advance(600_000);
    expect(fired).toEqual([
      "2023-11-14T22:15:00.000Z",
      "2023-11-14T22:20:00.000Z",
      "2023-11-14T22:25:00.000Z",
    ]);
    expect(missed).toEqual([]);
    expect(iso(t.nextRun!)).toBe("2023-11-14T22:30:00.000Z");
  });

  it("never fires a tick twice, even when the wall clock goes back", () => {
    const { clock, t, fired } = timer("*/5 * * * *");
    t.start();
    clock.advance(100_000);
    expect(fired).toEqual(["2023-11-14T22:15:00.000Z"]);
    clock.sleep(-120_000); // the wall clock is set back two minutes
    clock.advance(300_000);
    expect(fired).toEqual(["2023-11-14T22:15:00.000Z"]);
    clock.advance(120_000);
    expect(fired).toEqual(["2023-11-14T22:15:00.000Z", "2023-11-14T22:20:00.000Z"]);
  });

  it("reports the ticks a sleeping machine missed and does not replay them", () => {
    const { clock, t, fired, missed } = timer("*/5 * * * *");
    t.start();
    clock.advance(100_000); // 22:15 fires
    clock.advance(30_000);
    clock.sleep(3_620_000); // an hour asleep: 22:20 ... 23:15 pass unseen; it is now 23:15:50
    clock.advance(30_000); // the timer wakes at 23:16:20: 23:15 is more than a minute late

    expect(missed).toEqual([
      { first: "2023-11-14T22:20:00.000Z", last: "2023-11-14T23:15:00.000Z", count: 12 },
    ]);
    expect(fired).toEqual(["2023-11-14T22:15:00.000Z"]);
    clock.advance(300_000);
    expect(fired).toEqual(["2023-11-14T22:15:00.000Z", "2023-11-14T23:20:00.000Z"]);
  });

  it("fires the newest due tick when it is only a little late, and reports the older ones", () => {
    const { clock, t, fired, missed } = timer("* * * * * *"); // every second
    t.start();
    clock.advance(1_000);
    clock.sleep(5_000);
    clock.advance(1_000);
    expect(missed).toEqual([
      { first: "2023-11-14T22:13:22.000Z", last: "2023-11-14T22:13:26.000Z", count: 5 },
    ]);
    expect(fired).toEqual(["2023-11-14T22:13:21.000Z", "2023-11-14T22:13:27.000Z"]);
  });

  it("fires nothing once stopped, and keeps no timer", () => {
    const { clock, t, fired } = timer("*/5 * * * *");
    t.start();
    t.stop();
    expect(clock.pending).toBe(0);
    clock.advance(600_000);
    expect(fired).toEqual([]);
    expect(t.nextRun).toBeUndefined();
  });

  it("keeps no process alive: its timers are background ones", () => {
    const { clock, t } = timer("0 0 1 1 *");
    t.start();
    expect(clock.pending).toBe(1);
    expect(clock.alive).toBe(0);
  });

  it("reads the expression in its time zone", () => {
    const clock = new ManualClock();
    const paris = new CronTimer(clock, new CronSchedule("0 9 * * *", "Europe/Paris"), {
      fire: () => undefined,
      missed: () => undefined,
    });
    paris.start();
    expect(iso(paris.nextRun!)).toBe("2023-11-15T08:00:00.000Z");
  });
});
