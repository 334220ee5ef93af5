import { isPromiseLike } from "../common/isPromiseLike.js";
import type { Disposable } from "../common/Disposable.js";
import { abortError } from "../common/abort.js";
import type { ChipsetError, ErrorContext } from "../errors/ChipsetError.js";
import { CallAttempts, type AttemptContext } from "./CallAttempts.js";
import { isRetryable, retryDelay, wantsFallback } from "./outcomes.js";
import type { MethodPlan } from "./PolicyBook.js";
import type { CallSite, PipelineTarget } from "./PipelineTarget.js";
import { fallbackError } from "./refusals.js";

/** What a run needs of its pipeline (the {@link CallPipeline} in production). */
export interface RunContext extends AttemptContext {
  /** [0, 1) random numbers for retry jitter. */
  readonly random: () => number;
  readonly target: PipelineTarget<CallRun>;
  /** The call waits for an answer (closing the runtime fails it). */
  track(run: CallRun): void;
  /** The call settled. */
  untrack(run: CallRun): void;
}

/**
 * One call in flight through the {@link CallPipeline}: its attempts ({@link CallAttempts}: breaker,
 * bulkhead, deadline, the module), then retry, fallback or the answer. Its target sees it as a
 * {@link PipelineRun}.
 */
export class CallRun extends CallAttempts {
  /** The one instance every attempt goes to, when the caller named it (`runtime.executeOn`). */
  pinned: CallSite | undefined = undefined;
  /** The fallback that answered the call, if one did (a module id, or "handler"). */
  answeredBy: string | undefined = undefined;
  /** Links of the pipeline's list of calls in flight ({@link Linked}, kept by {@link RunList}). */
  prev: CallRun | undefined = undefined;
  next: CallRun | undefined = undefined;
  listed = false;
  declare protected readonly pipeline: RunContext;
  private value: unknown = undefined;
  private error: ChipsetError | undefined = undefined;
  private resolve: ((value: unknown) => void) | undefined = undefined;
  private reject: ((error: unknown) => void) | undefined = undefined;
  /** The wait before the next attempt, while there is one. */
  private waiting: Disposable | undefined = undefined;
  private onCallerAbort: (() => void) | undefined = undefined;

  constructor(
    pipeline: RunContext,
    plan: MethodPlan,
    ref: string,
    args: readonly unknown[],
    callerSignal: AbortSignal | undefined,
    callId: number,
    private readonly fallbackAllowed: boolean,
  ) {
    super(pipeline, plan, ref, args, callerSignal, callId);
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
    if (this.settled)
      return this.error === undefined ? Promise.resolve(this.value) : Promise.reject(this.error);
    this.pipeline.track(this);
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Fails the call now with `error`, whatever it is waiting for (the caller aborted, the runtime is closing). */
  abandon(error: ChipsetError): void {
    if (this.settled) return;
    if (this.waiting !== undefined) {
      // Between retries: nothing is in flight.
      this.waiting.dispose();
      this.waiting = undefined;
    } else this.dropAttempt();
    this.fail(error);
  }

  private callerAborted(): void {
    if (!this.settled) this.abandon(abortError(this.callerSignal!, this.describe(), this.plan.id));
  }

  // ---- after an attempt: retry, fallback, or the answer ---------------------------------------

  /** The attempt failed with `error` (already accounted for by the breaker): retry, fall back, or fail. */
  protected failed(error: ChipsetError, retryAllowed = true): void {
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

  protected succeed(value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.value = value;
    this.cleanUp();
    this.pipeline.target.settled(this, undefined);
    this.resolve?.(value);
  }

  private fail(error: ChipsetError): void {
    if (this.settled) return;
    const final = this.withContext(error);
    this.settled = true;
    this.error = final;
    this.cleanUp();
    this.pipeline.target.settled(this, final);
    this.reject?.(final);
  }

  private cleanUp(): void {
    this.pipeline.untrack(this);
    if (this.onCallerAbort !== undefined) this.callerSignal!.removeEventListener("abort", this.onCallerAbort);
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
}
