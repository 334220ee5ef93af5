import type { HostFault } from "../../vocabulary/hosts.js";

/** How often a leak grows, in ms: small steps, so the heap rises as a trend and not in jumps. */
const LEAK_STEP_MS = 100;
/** Doubles per MB: a packed array of doubles keeps 8 bytes each on the V8 heap (what heartbeats report). */
const DOUBLES_PER_MB = (1024 * 1024) / 8;

/**
 * Faults a chaos experiment injects inside a worker or process host: a crash nobody can catch
 * (it reaches the crash guard like a module's own bug) and a heap leak that grows until released.
 */
export class ChaosFaults {
  private leaked: number[][] = [];
  private timer: ReturnType<typeof setInterval> | undefined;

  /** Carries out one fault. */
  apply(msg: HostFault): void {
    if (msg.action === "crash") {
      setImmediate(() => {
        throw new Error(msg.message);
      });
    } else if (msg.action === "leak") {
      this.release();
      const perStep = Math.max(1, Math.round((msg.mbPerSecond * DOUBLES_PER_MB * LEAK_STEP_MS) / 1000));
      this.timer = setInterval(
        () => this.leaked.push(new Array<number>(perStep).fill(Math.random())),
        LEAK_STEP_MS,
      );
      this.timer.unref();
    } else {
      this.release();
    }
  }

  private release(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.leaked = [];
  }
}
