import { isPromiseLike } from "../common/isPromiseLike.js";
import type { Clock } from "../common/Clock.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { BulkheadTicket } from "./Bulkhead.js";
import { Pass } from "./CircuitBreaker.js";
import type { Deadline, Deadlines } from "./Deadlines.js";
import { countsAgainstModule } from "./outcomes.js";
import type { MethodPlan } from "./PolicyBook.js";
import type { PolicyEventSink } from "./PolicyEvents.js";
import {
  LATER,
  type AttemptSignal,
  type CallSite,
  type PipelineRun,
  type PipelineTarget,
} from "./PipelineTarget.js";
import { breakerOpenError, bulkheadFullError, callTimeoutError, unexpectedError } from "./refusals.js";

/** What the attempts of a call need of their pipeline (a {@link RunContext} narrows it). */
export interface AttemptContext {
  readonly clock: Clock;
  readonly events: PolicyEventSink;
  readonly target: PipelineTarget;
  readonly deadlines: Deadlines;
}

/**
 * The attempts of one call, one at a time: each passes the circuit breaker, takes a bulkhead slot
 * (or waits in its queue), arms its deadline and reaches the module through the target, and ends
 * answered, failed, timed out, given up or crashed under, giving back what it held. What follows
 * an attempt's end (retry, fallback, the answer) is the subclass's: the {@link CallRun}. A base
 * class rather than a part the run holds: a call is on every path, and one object per call is
 * what the pipeline allocates.
 */
export abstract class CallAttempts implements AttemptSignal, PipelineRun {
  /** Which attempt is running (1 for the first). */
  attempt = 0;
  /** Where the last attempt ran, once known. */
  site: CallSite | undefined = undefined;
  /**
   * Where the attempt in flight is running inside a module (set by the target once it entered
   * it, cleared when the attempt ends): a crash of that module fails the attempt at once.
   */
  inModule: CallSite | undefined = undefined;
  /** The fallback that answered the call, if one did (a module id, or "handler"). */
  abstract answeredBy: string | undefined;
  /** The call has its answer or its error: no attempt is current any more. */
  protected settled = false;
  /** What the breaker let through for the attempt; `Refuse` once accounted for (nothing to give back). */
  private pass: Pass = Pass.Call;
  private holdsSlot = false;
  private ticket: BulkheadTicket | undefined = undefined;
  private deadline: Deadline | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private attemptStarted = 0;
  /** Bumped when an attempt is given up, so its late answer is ignored. */
  private generation = 0;
  private attemptAborted = false;
  readonly startedAt: number;

  constructor(
    protected readonly pipeline: AttemptContext,
    readonly plan: MethodPlan,
    readonly ref: string,
    readonly args: readonly unknown[],
    readonly callerSignal: AbortSignal | undefined,
    readonly callId: number,
  ) {
    this.startedAt = pipeline.clock.now();
  }

  get method(): string {
    return this.plan.method;
  }

  /** The attempt's signal (see {@link AttemptSignal}): aborted on timeout or by the caller. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.attemptAborted) this.controller.abort(this.abortReason());
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.attemptAborted;
  }

  /**
   * True while attempt number `attempt` is still the one the call waits for: not given up (timed
   * out, aborted), not replaced by a retry, and the call not settled. Work that resumes after a
   * wait (a start, a pause, an injected delay) checks it before reaching the module.
   */
  isCurrent(attempt: number): boolean {
    return !this.settled && this.attempt === attempt && !this.attemptAborted;
  }

  /** When the attempt now running began, on the runtime's clock. */
  get attemptStartedAt(): number {
    return this.attemptStarted;
  }

  /** The attempt now running, as a token for {@link attemptAnswered}. */
  get token(): number {
    return this.generation;
  }

  /**
   * The attempt `token` (see {@link token}) answered `value`, or failed with `error`: what an
   * attempt that returned {@link LATER} reports. A late answer (the attempt was given up) is ignored.
   */
  attemptAnswered(token: number, error: ChipsetError | undefined, value: unknown): void {
    if (token !== this.generation) return;
    if (error === undefined) this.attemptSucceeded(value);
    else this.attemptFailed(error);
  }

  /**
   * The module at `site` crashed: if this call's attempt is running inside it, the attempt fails
   * now with `error`, as a worker's or process's host rejects its requests, and goes through the
   * policies (retry, breaker, fallback); its late answer, if any, is ignored.
   */
  crashedAt(site: CallSite, error: ChipsetError): void {
    if (this.settled || this.inModule !== site) return;
    this.giveUpAttempt();
    this.attemptFailed(error);
  }

  /** The attempt's deadline passed ({@link DeadlineTarget}: told by the pipeline's deadlines). */
  onDeadline(): void {
    this.deadline = undefined;
    this.giveUpAttempt();
    const { timeoutMs } = this.plan.policy;
    const events = this.pipeline.events;
    if (events.has("call.timeout"))
      events.emit("call.timeout", {
        id: this.plan.id,
        method: this.method,
        attempt: this.attempt,
        timeoutMs,
      });
    this.attemptFailed(callTimeoutError(this.ref, this.method, this.plan.id, timeoutMs, this.attempt));
  }

  /** The attempt ended with `error` (accounted for by the breaker): retry, fall back, or fail the call. */
  protected abstract failed(error: ChipsetError, retryAllowed?: boolean): void;

  /** The attempt answered `value`: the call's answer. */
  protected abstract succeed(value: unknown): void;

  /** Starts the next attempt: breaker, bulkhead, deadline, the module. */
  protected begin(): void {
    this.attempt++;
    this.attemptAborted = false;
    this.controller = undefined;
    // The first attempt starts with the call: one clock read fewer on every call.
    this.attemptStarted = this.attempt === 1 ? this.startedAt : this.pipeline.clock.now();
    const { breaker, bulkhead } = this.plan;
    if (breaker !== undefined) {
      this.pass = breaker.pass();
      if (this.pass === Pass.Refuse) return this.failed(this.breakerOpen());
    }
    if (bulkhead !== undefined) {
      if (bulkhead.tryEnter()) this.holdsSlot = true;
      else {
        this.ticket = bulkhead.enqueue(() => this.dequeued());
        if (this.ticket === undefined) {
          breaker?.release(this.pass);
          this.pass = Pass.Refuse;
          return this.failed(this.bulkheadFull(), false);
        }
        this.arm();
        return;
      }
    }
    this.invoke();
  }

  /**
   * Gives up the attempt in flight or queued (or whose fallback is pending: then already
   * accounted for) and gives back what it holds, without telling the breaker it failed.
   */
  protected dropAttempt(): void {
    this.giveUpAttempt();
    this.endAttempt(this.pipeline.clock.now());
    this.plan.breaker?.release(this.pass);
    this.pass = Pass.Refuse;
  }

  /** `the call of ref.method()`, for messages. */
  protected describe(): string {
    return `the call of ${this.ref}.${this.method}()`;
  }

  private dequeued(): void {
    this.ticket = undefined;
    this.holdsSlot = true;
    this.invoke();
  }

  private invoke(): void {
    // With a timeout or a caller's signal the module gets this run as its signal source (made on
    // first read); the run itself fails the call when either fires.
    const signal = this.plan.policy.timeoutMs > 0 || this.callerSignal !== undefined ? this : undefined;
    const generation = this.generation;
    let value: unknown;
    try {
      value = this.pipeline.target.attempt(this, signal);
    } catch (err) {
      if (generation === this.generation) this.attemptFailed(this.asChipsetError(err));
      return;
    }
    // The module may have aborted its own caller before it returned: that attempt is over.
    if (generation !== this.generation) return;
    if (value === LATER) return this.arm();
    if (!isPromiseLike(value)) return this.attemptSucceeded(value);
    this.arm();
    (value as Promise<unknown>).then(
      (v) => {
        // LATER from a slow path: the attempt reports itself.
        if (generation === this.generation && v !== LATER) this.attemptSucceeded(v);
      },
      (err: unknown) => {
        if (generation === this.generation) this.attemptFailed(this.asChipsetError(err));
      },
    );
  }

  /** Arms the attempt's deadline (once it must wait: for a bulkhead slot, or for an answer). */
  private arm(): void {
    const { timeoutMs } = this.plan.policy;
    if (timeoutMs > 0 && this.deadline === undefined)
      this.deadline = this.pipeline.deadlines.add(timeoutMs, this, this.attemptStarted);
  }

  /** Ends the attempt's hold on the policies, at `now`; answers how long it took. */
  private endAttempt(now: number): number {
    this.inModule = undefined;
    this.deadline?.cancel();
    this.deadline = undefined;
    if (this.ticket !== undefined) {
      this.ticket.cancel();
      this.ticket = undefined;
    }
    if (this.holdsSlot) {
      this.holdsSlot = false;
      this.plan.bulkhead!.leave();
    }
    return now - this.attemptStarted;
  }

  private attemptSucceeded(value: unknown): void {
    const now = this.pipeline.clock.now();
    const durationMs = this.endAttempt(now);
    this.plan.breaker?.success(this.pass, now);
    this.pass = Pass.Refuse;
    this.pipeline.target.attempted(this, durationMs, undefined);
    this.succeed(value);
  }

  private attemptFailed(error: ChipsetError): void {
    const now = this.pipeline.clock.now();
    const durationMs = this.endAttempt(now);
    const counts = countsAgainstModule(error);
    const breaker = this.plan.breaker;
    if (breaker !== undefined) {
      if (counts) breaker.failure(this.pass, now);
      else breaker.release(this.pass);
      this.pass = Pass.Refuse;
    }
    this.pipeline.target.attempted(this, durationMs, error);
    this.failed(error);
  }

  /** Abandons the attempt in flight: its late answer is ignored, the module's signal fires. */
  private giveUpAttempt(): void {
    this.generation++;
    this.attemptAborted = true;
    this.controller?.abort(this.abortReason());
  }

  /** What an attempt threw, as a ChipsetError (the target wraps module errors; anything else is a bug). */
  private asChipsetError(err: unknown): ChipsetError {
    return err instanceof ChipsetError ? err : unexpectedError(this.describe(), this.plan.id, err);
  }

  private abortReason(): unknown {
    return this.callerSignal?.aborted
      ? this.callerSignal.reason
      : new ChipsetError(ErrorCodes.CALL_TIMEOUT, `${this.describe()} timed out`, { module: this.plan.id });
  }

  private breakerOpen(): ChipsetError {
    return breakerOpenError(
      this.ref,
      this.method,
      this.plan.id,
      this.plan.breaker!.state,
      this.pipeline.clock.now(),
    );
  }

  private bulkheadFull(): ChipsetError {
    const bulkhead = this.plan.bulkhead!;
    const events = this.pipeline.events;
    if (events.has("bulkhead.rejected"))
      events.emit("bulkhead.rejected", {
        id: this.plan.id,
        method: this.method,
        active: bulkhead.active,
        queued: bulkhead.queued,
      });
    return bulkheadFullError(this.ref, this.method, this.plan.id, bulkhead.settings);
  }
}
