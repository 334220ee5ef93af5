import type { ChipsetError } from "../errors/ChipsetError.js";
import type { SignalSource } from "../vocabulary/hosts.js";
import type { Isolation } from "../vocabulary/manifest.js";
import type { MethodPlan } from "./PolicyBook.js";

/** Where an attempt ran: the instance's version and host (for error context and observers). */
export interface CallSite {
  readonly version: string;
  readonly isolation: Isolation;
  /** `clock.now()` when the instance last started or resumed; undefined while down. */
  readonly startedAt?: number | undefined;
}

/**
 * The cancellation handed to one attempt: its `signal` is made on first read (an AbortSignal
 * costs ~2 µs to make on Node 20, more than a whole inline call), so hosts that can do without
 * one (inline, answering synchronously) never pay for it.
 */
export interface AttemptSignal extends SignalSource {
  /** True once the attempt was given up (timed out, or the caller aborted). */
  readonly aborted: boolean;
}

/**
 * What an attempt answers when it will report its outcome itself, through
 * {@link PipelineRun.attemptAnswered}: the call path does so on its fast path, so that a call into
 * a module costs one `then` on the module's promise rather than one per layer.
 */
export const LATER: unique symbol = Symbol("the attempt answers later");

/** One call in flight as its target sees it (a `CallRun`). */
export interface PipelineRun {
  readonly plan: MethodPlan;
  /** The reference the caller used (`id`, `id@range`). */
  readonly ref: string;
  readonly method: string;
  readonly args: readonly unknown[];
  readonly callId: number;
  readonly callerSignal: AbortSignal | undefined;
  /** `clock.now()` when the call started. */
  readonly startedAt: number;
  /** Which attempt is running (1 for the first). */
  readonly attempt: number;
  /** When the attempt now running began, on the runtime's clock. */
  readonly attemptStartedAt: number;
  /** The attempt now running, as a token for {@link attemptAnswered}. */
  readonly token: number;
  /** Where the last attempt ran, once known. */
  site: CallSite | undefined;
  /** Where the attempt in flight runs inside a module, once it entered it: a crash there fails it at once. */
  inModule: CallSite | undefined;
  /** The fallback that answered the call, if one did (a module id, or "handler"). */
  answeredBy: string | undefined;
  /** True while attempt number `attempt` is still the one the call waits for. */
  isCurrent(attempt: number): boolean;
  /** The attempt `token` answered `value`, or failed with `error` (after returning {@link LATER}). */
  attemptAnswered(token: number, error: ChipsetError | undefined, value: unknown): void;
}

/** What the pipeline needs from the runtime; it hands the target its runs as `Run` (a `CallRun`). */
export interface PipelineTarget<Run extends PipelineRun = PipelineRun> {
  /**
   * Runs one attempt of `run`: its value, a promise of it, or {@link LATER} when it reports the
   * outcome itself (`run.attemptAnswered`); throws or rejects with a ChipsetError. Sets
   * `run.site` once it knows the instance, and `run.inModule` once the attempt is inside it.
   * `signal` (the run) is undefined when the call can be neither cancelled nor timed out.
   */
  attempt(run: Run, signal: AttemptSignal | undefined): unknown;
  /** Calls `method` of the fallback module `fallback`, with no fallback of its own. */
  fallback(fallback: string, run: Run): unknown;
  /** The manifest fallback module of `id`, if any. */
  fallbackOf(id: string): string | undefined;
  /** Told once per call when it settles (monitoring: error monitor, anomaly baselines). */
  settled(run: Run, error: ChipsetError | undefined): void;
  /** Told after each attempt that ran (reached the module, or timed out), with its duration in ms and its error. */
  attempted(run: Run, durationMs: number, error: ChipsetError | undefined): void;
}
