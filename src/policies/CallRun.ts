import { isPromiseLike } from "../common/isPromiseLike.js";
import type { Disposable } from "../common/Disposable.js";
import { abortError } from "../common/abort.js";
import { ChipsetError, type ErrorContext } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { BulkheadTicket } from "./Bulkhead.js";
import type { Clock } from "../common/Clock.js";
import { Pass } from "./CircuitBreaker.js";
import type { Deadline, Deadlines } from "./Deadlines.js";
import { countsAgainstModule, isRetryable, retryDelay, wantsFallback } from "./outcomes.js";
import type { MethodPlan } from "./PolicyBook.js";
import type { PolicyEventSink } from "./PolicyEvents.js";
import {
  LATER,
  type AttemptSignal,
  type CallSite,
  type PipelineRun,
  type PipelineTarget,
} from "./PipelineTarget.js";
import {
  breakerOpenError,
  bulkheadFullError,
  callTimeoutError,
  fallbackError,
  unexpectedError,
} from "./refusals.js";

/** What a run needs of its pipeline (the {@link CallPipeline} in production). */
export interface RunContext {
  readonly clock: Clock;
  /** [0, 1) random numbers for retry jitter. */
  readonly random: () => number;
  readonly events: PolicyEventSink;
  readonly target: PipelineTarget<CallRun>;
  readonly deadlines: Deadlines;
  /** The call waits for an answer (closing the runtime fails it). */
  track(run: CallRun): void;
  /** The call settled. */
  untrack(run: CallRun): void;
}

const PENDING = 0;
const OK = 1;
const FAILED = 2;

/**
 * One call in flight through the {@link CallPipeline}: a state machine over its attempts (breaker,
 * bulkhead, deadline, the module), then retry, fallback or the answer. Its target sees it as a
 * {@link PipelineRun}.
 */
export class CallRun implements AttemptSignal, PipelineRun {
  /** Which attempt is running (1 for the first). */
  attempt = 0;
  /** Where the last attempt ran, once known. */
  site: CallSite | undefined = undefined;
  /** The one instance every attempt goes to, when the caller named it (`runtime.executeOn`). */
  pinned: CallSite | undefined = undefined;
  /** The fallback that answered the call, if one did (a module id, or "handler"). */
  answeredBy: string | undefined = undefined;
  /**
   * Where the attempt in flight is running inside a module (set by the target once it entered
   * it, cleared when the attempt ends): a crash of that module fails the attempt at once.
   */
  inModule: CallSite | undefined = undefined;
  /** Links of the pipeline's list of calls in flight ({@link Linked}, kept by {@link RunList}). */
  prev: CallRun | undefined = undefined;
  next: CallRun | undefined = undefined;
  listed = false;
  private outcome = PENDING;
  private value: unknown = undefined;
  private error: ChipsetError | undefined = undefined;
  private resolve: ((value: unknown) => void) | undefined = undefined;
  private reject: ((error: unknown) => void) | undefined = undefined;
  /** What the breaker let through for the attempt; `Refuse` once accounted for (nothing to give back). */
  private pass: Pass = Pass.Call;
  private holdsSlot = false;
  private ticket: BulkheadTicket | undefined = undefined;
  private deadline: Deadline | undefined = undefined;
  private waiting: Disposable | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private attemptStarted = 0;
  /** Bumped when an attempt is given up, so its late answer is ignored. */
  private generation = 0;
  private attemptAborted = false;
  private onCallerAbort: (() => void) | undefined = undefined;
  readonly startedAt: number;

  constructor(
    private readonly pipeline: RunContext,
    readonly plan: MethodPlan,
    readonly ref: string,
    readonly args: readonly unknown[],
    readonly callerSignal: AbortSignal | undefined,
    readonly callId: number,
    private readonly fallbackAllowed: boolean,
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
    return this.outcome === PENDING && this.attempt === attempt && !this.attemptAborted;
  }

  start(): Promise<unknown> {
    const signal = this.callerSignal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.fail(abortError(signal, this.describe(), this.plan.id));
        return Promise.reject(this.error!);
      }
      this.onCallerAbort = () => this.callerAborted();
      signal.addEventListener("abort", this.onCallerAbort, { once: true });
    }
    this.begin();
    if (this.outcome === OK) return Promise.resolve(this.value);
    if (this.error !== undefined) return Promise.reject(this.error);
    this.pipeline.track(this);
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Fails the call now with `error`, whatever it is waiting for (the caller aborted, the runtime is closing). */
  abandon(error: ChipsetError): void {
    if (this.outcome !== PENDING) return;
    if (this.waiting !== undefined) {
      // Between retries: nothing is in flight.
      this.waiting.dispose();
      this.waiting = undefined;
    } else {
      // An attempt in flight or queued, or a fallback pending (its attempt already accounted for).
      this.giveUpAttempt();
      this.endAttempt(this.pipeline.clock.now());
      this.plan.breaker?.release(this.pass);
      this.pass = Pass.Refuse;
    }
    this.fail(error);
  }

  // ---- one attempt: breaker, bulkhead, deadline, the module ---------------------------------

  private begin(): void {
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

  private dequeued(): void {
    this.ticket = undefined;
    this.holdsSlot = true;
    this.invoke();
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
    if (this.outcome !== PENDING || this.inModule !== site) return;
    this.giveUpAttempt();
    this.attemptFailed(error);
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

  /** Abandons the attempt in flight: its late answer is ignored, the module's signal fires. */
  private giveUpAttempt(): void {
    this.generation++;
    this.attemptAborted = true;
    this.controller?.abort(this.abortReason());
  }

  private callerAborted(): void {
    if (this.outcome === PENDING) this.abandon(abortError(this.callerSignal!, this.describe(), this.plan.id));
  }

  // ---- after an attempt: retry, fallback, or the answer ---------------------------------------

  /** The attempt failed with `error` (already accounted for by the breaker): retry, fall back, or fail. */
  private failed(error: ChipsetError, retryAllowed = true): void {
    const retry = this.plan.policy.retry;
    if (
      retryAllowed &&
      retry !== undefined &&
      this.attempt < retry.maxAttempts &&
      !this.callerSignal?.aborted &&
      isRetryable(error)
    ) {
      const delayMs = retryDelay(retry, this.attempt, this.pipeline.random);
      const events = this.pipeline.events;
      if (events.has("retry.attempt"))
        events.emit("retry.attempt", {
          id: this.plan.id,
          method: this.method,
          attempt: this.attempt,
          delayMs,
          error,
        });
      this.waiting = this.pipeline.clock.setTimeout(() => {
        this.waiting = undefined;
        this.begin();
      }, delayMs);
      return;
    }
    this.fallBack(error);
  }

  private fallBack(error: ChipsetError): void {
    if (!this.fallbackAllowed || !wantsFallback(error)) return this.fail(error);
    const handler = this.plan.handler;
    const fallback = handler === undefined ? this.pipeline.target.fallbackOf(this.plan.id) : "handler";
    if (fallback === undefined) return this.fail(error);
    const events = this.pipeline.events;
    if (events.has("fallback.used"))
      events.emit("fallback.used", { id: this.plan.id, method: this.method, fallback, error });
    let value: unknown;
    try {
      value =
        handler !== undefined
          ? handler(this.withContext(error), this.args)
          : this.pipeline.target.fallback(fallback, this);
    } catch (err) {
      return this.fail(fallbackError(err, error));
    }
    const answered = (v: unknown): void => {
      this.answeredBy = fallback;
      this.succeed(v);
    };
    if (!isPromiseLike(value)) return answered(value);
    (value as Promise<unknown>).then(answered, (err: unknown) => this.fail(fallbackError(err, error)));
  }

  private succeed(value: unknown): void {
    if (this.outcome !== PENDING) return;
    this.outcome = OK;
    this.value = value;
    this.cleanUp();
    this.pipeline.target.settled(this, undefined);
    this.resolve?.(value);
  }

  private fail(error: ChipsetError): void {
    if (this.outcome !== PENDING) return;
    const final = this.withContext(error);
    this.outcome = FAILED;
    this.error = final;
    this.cleanUp();
    this.pipeline.target.settled(this, final);
    this.reject?.(final);
  }

  private cleanUp(): void {
    this.pipeline.untrack(this);
    if (this.onCallerAbort !== undefined) this.callerSignal!.removeEventListener("abort", this.onCallerAbort);
  }

  // ---- errors --------------------------------------------------------------------------

  /** What an attempt threw, as a ChipsetError (the target wraps module errors; anything else is a bug). */
  private asChipsetError(err: unknown): ChipsetError {
    return err instanceof ChipsetError ? err : unexpectedError(this.describe(), this.plan.id, err);
  }

  private withContext(error: ChipsetError): ChipsetError {
    const context: ErrorContext = {
      id: this.plan.id,
      method: this.method,
      attempt: this.attempt,
      callId: this.callId,
      ...(this.site === undefined ? {} : { version: this.site.version, host: this.site.isolation }),
    };
    return error.withContext(context);
  }

  private abortReason(): unknown {
    return this.callerSignal?.aborted
      ? this.callerSignal.reason
      : new ChipsetError(ErrorCodes.CALL_TIMEOUT, `${this.describe()} timed out`, { module: this.plan.id });
  }

  private describe(): string {
    return `the call of ${this.ref}.${this.method}()`;
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
