import { Cron } from "croner";
import { CRON_MODE } from "../vocabulary/triggers.js";

/**
 * A cron expression read in a time zone: when its ticks fall. croner parses it and finds the
 * ticks (a well-kept parser: ranges, steps, names, `L`, `#`, daylight saving); its own scheduler
 * is not used, because it cannot run on an injected clock ({@link CronTimer} does the waiting).
 */
export class CronSchedule {
  private readonly cron: Cron;

  /** Throws croner's `TypeError` for a malformed expression or an unknown time zone. */
  constructor(
    readonly expression: string,
    readonly timeZone: string,
  ) {
    // Paused and without a function: croner keeps no timer and no global record of it.
    this.cron = new Cron(expression, { mode: CRON_MODE, timezone: timeZone, paused: true });
  }

  /** The first tick strictly after `afterMs` (ms since the Unix epoch), or undefined when none is left. */
  next(afterMs: number): number | undefined {
    return this.cron.nextRun(new Date(afterMs))?.getTime();
  }

  /** The last tick strictly before `beforeMs` (ms since the epoch), or undefined when there is none. */
  previous(beforeMs: number): number | undefined {
    return this.cron.previousRuns(1, new Date(beforeMs))[0]?.getTime();
  }
}
