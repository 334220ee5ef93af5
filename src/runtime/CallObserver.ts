import type { ChipsetError } from "../errors/ChipsetError.js";
import type { CallRun } from "../policies/CallRun.js";

/** How one call went (`runtime.callDetailed`). */
export interface CallOutcome {
  /** True when the caller got a value, from the module or from a fallback. */
  ok: boolean;
  value?: unknown;
  /** What the call failed with (with its context). */
  error?: ChipsetError;
  /** The fallback that answered: its module id, or `"handler"` for the application's. */
  answeredBy?: string;
  /** Attempts made (retries count). */
  attempts: number;
  /** From the call to its answer, in ms. */
  durationMs: number;
  callId: number;
}

/** Watches every call (error monitor, anomaly baselines, chaos reports). */
export interface CallObserver {
  /** Once per call, when it settles; `error` is what the caller got (undefined on success). */
  settled(run: CallRun, error: ChipsetError | undefined): void;
  /** After each attempt that ran, with its duration in ms and its error (undefined: it succeeded). */
  attempted(run: CallRun, durationMs: number, error: ChipsetError | undefined): void;
}
