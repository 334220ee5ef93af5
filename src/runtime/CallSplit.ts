import type { Instance } from "../instances/Instance.js";
import type { CallRun } from "../policies/CallRun.js";

/** How a {@link CallSplit} takes one attempt into a module. */
export interface SplitPort {
  /**
   * Takes the attempt into `inst` and settles with its answer (a module's error as
   * `CHIP_ERR_CALL_FAILED`). With `crashFails`, a crash of an inline `inst` fails the attempt at
   * once, as on the usual path; without, the split decides what becomes of it.
   */
  enter(inst: Instance, crashFails: boolean): Promise<unknown>;
  /** Takes the attempt where calls go without the split; its value is the attempt's. */
  resend(): unknown;
}

/**
 * Sends some of the calls that would reach one instance to another, chosen per call: an update's
 * canary. The call path asks it about each call that reaches `from` on its fast path (running,
 * intake open), once it is installed with `ModuleCalls.split`.
 */
export interface CallSplit {
  /** The instance whose calls are split (the version that serves). */
  readonly from: Instance;
  /** Whether a call made through `range` (its ref's range; undefined for the plain id) may go to the other instance. */
  takes(range: string | undefined): boolean;
  /** Runs the attempt of `run` through `port`: its value (or promise) is the attempt's. */
  attempt(run: CallRun, port: SplitPort): unknown;
}
