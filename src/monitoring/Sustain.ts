import type { Clock } from "../common/Clock.js";

/** No deviation; the baseline learns. */
export const NORMAL = 0;
/** Deviating, not yet for long enough to fire. */
export const RISING = 1;
/** The anomaly is in progress. */
export const ACTIVE = 2;
/** Back below the clearing threshold, not yet for long enough to end the anomaly. */
export const FALLING = 3;
/** Where a {@link Sustain} is; plain numbers, so stepping allocates nothing. */
export type Phase = typeof NORMAL | typeof RISING | typeof ACTIVE | typeof FALLING;

/**
 * Debounce with hysteresis: the figure must stay off the clearing threshold for `sustainMs` and
 * `minRun` samples, and be `above` the firing one at the end, before the anomaly begins; it ends
 * once the figure stayed `below` the clearing threshold as long.
 */
export class Sustain {
  phase: Phase = NORMAL;
  /** When the anomaly began (clock ms), while active. */
  firedAt = 0;
  private since = 0;
  private lastAbove = 0;
  private run = 0;

  constructor(
    private readonly sustainMs: number,
    private readonly minRun: number,
  ) {}

  get active(): boolean {
    return this.phase === ACTIVE || this.phase === FALLING;
  }

  /** One sample: 1 when the anomaly begins, -1 when it ends, 0 otherwise. Reads the clock only off the normal path. */
  step(above: boolean, below: boolean, clock: Clock): 1 | 0 | -1 {
    switch (this.phase) {
      case NORMAL:
        if (above) this.enter(RISING, clock.now());
        return 0;
      case RISING: {
        if (below) {
          this.phase = NORMAL;
          return 0;
        }
        this.run++;
        const now = clock.now();
        if (!above) {
          // Dips are forgiven, but a figure that stays off the firing threshold for sustainMs is
          // not a deviation (and would keep the baseline frozen for good).
          if (now - this.lastAbove >= this.sustainMs) this.phase = NORMAL;
          return 0;
        }
        this.lastAbove = now;
        if (this.run < this.minRun || now - this.since < this.sustainMs) return 0;
        this.phase = ACTIVE;
        this.firedAt = now;
        return 1;
      }
      case ACTIVE:
        if (below) this.enter(FALLING, clock.now());
        return 0;
      case FALLING:
        if (!below) {
          this.phase = ACTIVE;
          return 0;
        }
        if (++this.run < this.minRun || clock.now() - this.since < this.sustainMs) return 0;
        this.phase = NORMAL;
        return -1;
    }
  }

  private enter(phase: Phase, now: number): void {
    this.phase = phase;
    this.since = now;
    this.lastAbove = now;
    this.run = 1;
  }
}
