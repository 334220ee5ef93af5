import type { Clock } from "../common/Clock.js";
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { type LifecycleCommand, type LifecycleState } from "../vocabulary/lifecycle.js";
import { isPromiseLike } from "../common/isPromiseLike.js";
import { LazyAbort } from "../common/race.js";
import type { HookRegistry } from "./HookRegistry.js";
import type { LifecycleSubject } from "./LifecycleSubject.js";
import { hookFailed, toChipsetError, unavailable } from "./hookErrors.js";
import { PhaseRunner } from "./PhaseRunner.js";
import { DONE, TransitionQueue } from "./TransitionQueue.js";
import {
  afterIncident,
  lifecycleStates,
  nextStep,
  reached,
  transition,
  type TransitionPlan,
} from "./transitions.js";

/** A failed transition: the state it rolled back to and why. */
export interface FailureReport<S extends LifecycleSubject = LifecycleSubject> {
  subject: S;
  command: LifecycleCommand;
  error: ChipsetError;
  /** The state after rollback (`failed` when the rollback itself failed or `stop` failed). */
  state: LifecycleState;
}

/** What the runner needs from the runtime. */
export interface RunnerDeps<S extends LifecycleSubject = LifecycleSubject> {
  clock: Clock;
  hooks: HookRegistry;
  /** Checks run before a transition (dependencies running, config valid); throw to refuse. */
  guard(subject: S, command: LifecycleCommand): void;
  onTransition(
    subject: S,
    command: LifecycleCommand,
    from: LifecycleState,
    to: LifecycleState,
    durationMs: number,
  ): void;
  onFailure(report: FailureReport<S>): void;
  /** An `after:` hook failed; the transition stands. */
  onAfterHookError(subject: S, command: LifecycleCommand, error: ChipsetError): void;
}

/**
 * Executes lifecycle transitions: one at a time per instance (later requests queue behind the
 * running one), concurrent requests for the same command share one promise, every hook runs
 * with the phase timeout and an AbortSignal, and a failure rolls back as the table says.
 * An idle instance whose hooks answer synchronously moves without a single promise: starting
 * 1,000 such modules must cost less than avvio booting 1,000 plugins. The hooks themselves run
 * in a {@link PhaseRunner}.
 */
export class LifecycleRunner<S extends LifecycleSubject = LifecycleSubject> {
  private readonly queue = new TransitionQueue<S>();
  private readonly phases: PhaseRunner;

  constructor(private readonly deps: RunnerDeps<S>) {
    this.phases = new PhaseRunner(deps.clock, deps.hooks);
  }

  /** Runs `command` on `subject`; resolves when the new state is reached. */
  run(subject: S, command: LifecycleCommand, signal?: AbortSignal): Promise<void> {
    return this.queue.schedule(subject, command, () => this.step(subject, command, signal)) ?? DONE;
  }

  /**
   * Moves `subject` along the happy path to `target`, choosing each command when its turn
   * comes (so concurrent callers never queue a command that another caller made stale).
   * A paused instance counts as having reached `running` (its calls wait for `resume`).
   */
  advance(subject: S, target: LifecycleState, signal?: AbortSignal): Promise<void> {
    return this.advanceNow(subject, target, signal) ?? DONE;
  }

  /** {@link advance}, returning nothing at all when `target` was reached synchronously. */
  advanceNow(subject: S, target: LifecycleState, signal?: AbortSignal): void | Promise<void> {
    if (reached(subject.state, target)) return;
    return this.queue.schedule(subject, advanceKeys[target], () => this.stepsTo(subject, target, signal));
  }

  private stepsTo(subject: S, target: LifecycleState, signal: AbortSignal | undefined): void | Promise<void> {
    while (!reached(subject.state, target)) {
      if (subject.state === "failed" || subject.state === "crashed") throw unavailable(subject);
      const next = nextStep(subject.state, target);
      if (next === undefined) return;
      const pending = this.step(subject, next, signal);
      if (pending) return pending.then(() => this.stepsTo(subject, target, signal));
    }
  }

  /**
   * Loads `subject` synchronously (`registered -> loaded`), running application hooks that
   * answer synchronously; an asynchronous `before:load` hook makes it impossible
   * (`CHIP_ERR_SYNC_LOAD_UNSUPPORTED`).
   */
  loadSync(subject: S): void {
    const result = transition(subject.state, "load");
    if (!result.ok) return;
    const started = this.deps.clock.now();
    const hooks = this.deps.hooks.matching("before:load", subject.id, subject.kind);
    const event = {
      id: subject.id,
      version: subject.version,
      kind: subject.kind,
      command: "load" as const,
      signal: new AbortController().signal,
    };
    try {
      this.deps.guard(subject, "load");
      for (const fn of hooks) {
        if (isPromiseLike(fn(event))) {
          throw new ChipsetError(
            ErrorCodes.SYNC_LOAD_UNSUPPORTED,
            `${subject.key}: an asynchronous before:load hook is registered; use load() instead`,
            { module: subject.key },
          );
        }
      }
      subject.host.loadSync();
    } catch (err) {
      const error = toChipsetError(err, subject, "load");
      subject.lastError = error;
      this.deps.onFailure({ subject, command: "load", error, state: subject.state });
      throw error;
    }
    subject.state = result.plan.to;
    const durationMs = this.deps.clock.now() - started;
    subject.timings.load = durationMs;
    this.deps.onTransition(subject, "load", "registered", "loaded", durationMs);
    for (const fn of this.deps.hooks.matching("after:load", subject.id, subject.kind)) {
      try {
        const value = fn(event);
        if (isPromiseLike(value))
          value.then(undefined, (err: unknown) =>
            this.deps.onAfterHookError(subject, "load", toChipsetError(err, subject, "load")),
          );
      } catch (err) {
        this.deps.onAfterHookError(subject, "load", toChipsetError(err, subject, "load"));
      }
    }
  }

  /**
   * Marks `subject` crashed once what is queued for it has settled (a step in flight when its
   * host died fails on its own and lands in `crashed` too). Calls waiting at its gate are
   * rejected with `error`, and what the module registered with `ctx.onStop` is released.
   * Resolves with the state the subject was in (nothing happens from `registered` or `crashed`).
   */
  markCrashed(subject: S, error: ChipsetError): Promise<LifecycleState> {
    let before: LifecycleState = subject.state;
    const work = () => {
      before = subject.state;
      // An unloaded instance has no host to crash: a report that arrives after its unload is stale.
      if (before === "registered") return;
      this.enterCrashed(subject, error);
    };
    const pending = this.queue.schedule(subject, "crash", work);
    return pending ? pending.then(() => before) : Promise.resolve(before);
  }

  private enterCrashed(subject: S, error: ChipsetError): void {
    const next = afterIncident(subject.state, "crash");
    if (next === undefined) return;
    subject.state = next;
    subject.lastError = error;
    subject.gate.close();
    if (subject.gate.waiting > 0) subject.gate.fail(error);
    this.release(subject, "stop");
  }

  /**
   * The supervisor gave up on `subject` (crashed, or unloaded after a failed restart): it
   * becomes `failed`, keeping its last error; only `unload` leads on.
   */
  giveUp(subject: S, error: ChipsetError): void {
    const next = afterIncident(subject.state, "give-up");
    if (next === undefined) return;
    subject.state = next;
    subject.lastError = error;
  }

  /** Settles once nothing is running or queued for `subject` (failures included). */
  idle(subject: S): Promise<void> {
    return this.queue.idle(subject);
  }

  /** True while a transition of `subject` is running or queued. */
  isBusy(subject: S): boolean {
    return this.queue.isBusy(subject);
  }

  /** One transition; returns a promise only when something in it went asynchronous. */
  private step(subject: S, command: LifecycleCommand, signal: AbortSignal | undefined): void | Promise<void> {
    const result = transition(subject.state, command);
    if (!result.ok) {
      throw new ChipsetError(
        ErrorCodes.INVALID_TRANSITION,
        `cannot ${command} ${subject.key}: it is ${subject.state}; allowed from there: ${result.allowed.join(", ") || "nothing"}`,
        { module: subject.key, details: { state: subject.state, command, allowed: result.allowed } },
      );
    }
    const plan = result.plan;
    const started = this.deps.clock.now();
    let pending: void | Promise<void>;
    try {
      this.deps.guard(subject, command);
      const before = this.phases.appHooks(subject, plan.command, "before", signal);
      pending = before
        ? before.then(() => this.body(subject, plan, signal))
        : this.body(subject, plan, signal);
    } catch (err) {
      return this.fail(subject, plan, err);
    }
    if (!pending) return this.succeed(subject, plan, started, signal);
    return pending.then(
      () => this.succeed(subject, plan, started, signal),
      (err: unknown) => this.fail(subject, plan, err),
    );
  }

  private succeed(
    subject: S,
    plan: TransitionPlan,
    started: number,
    signal: AbortSignal | undefined,
  ): void | Promise<void> {
    subject.state = plan.to;
    this.afterSuccess(subject, plan);
    const durationMs = this.deps.clock.now() - started;
    subject.timings[plan.command] = durationMs;
    this.deps.onTransition(subject, plan.command, plan.from, plan.to, durationMs);
    try {
      const after = this.phases.appHooks(subject, plan.command, "after", signal);
      if (after) return after.catch((err: unknown) => this.afterHookFailed(subject, plan.command, err));
    } catch (err) {
      this.afterHookFailed(subject, plan.command, err);
    }
  }

  private afterHookFailed(subject: S, command: LifecycleCommand, err: unknown): void {
    this.deps.onAfterHookError(subject, command, toChipsetError(err, subject, command));
  }

  private async fail(subject: S, plan: TransitionPlan, err: unknown): Promise<never> {
    const crash = subject.host.crash;
    if (crash) {
      // The host died under the transition: no hook can run there any more, so no rollback.
      this.enterCrashed(subject, crash.error);
      this.deps.onFailure({ subject, command: plan.command, error: crash.error, state: subject.state });
      throw crash.error;
    }
    let error = toChipsetError(err, subject, plan.command);
    const { state, cleanupError } = await this.rollback(subject, plan);
    if (cleanupError !== undefined) error = error.withDetails({ rollback: messageOf(cleanupError) });
    subject.state = state;
    subject.lastError = error;
    this.deps.onFailure({ subject, command: plan.command, error, state });
    throw error;
  }

  private body(subject: S, plan: TransitionPlan, signal: AbortSignal | undefined): void | Promise<void> {
    switch (plan.command) {
      case "load": {
        const phase = new LazyAbort();
        const loading = subject.host.load(phase);
        if (loading) return this.phases.bounded(subject, "load", loading, phase, signal);
        return;
      }
      case "unload":
        subject.host.unload();
        return;
      case "pause":
      case "stop": {
        // Intake closes first; the hook runs once the calls already inside have finished.
        const hook = plan.command;
        subject.gate.close();
        if (subject.gate.inFlight === 0) return this.phases.moduleHook(subject, hook, signal);
        return this.phases
          .bounded(subject, hook, subject.gate.drained(), new LazyAbort(), signal)
          .then(() => this.phases.moduleHook(subject, hook, signal));
      }
      default:
        return this.phases.moduleHook(subject, plan.command, signal);
    }
  }

  private afterSuccess(subject: S, plan: TransitionPlan): void {
    if (plan.command === "start" || plan.command === "resume") subject.gate.open();
    if (plan.command === "stop") this.closeAfterStop(subject);
  }

  private closeAfterStop(subject: S): void {
    if (subject.gate.waiting > 0) {
      subject.gate.fail(
        new ChipsetError(
          ErrorCodes.MODULE_UNAVAILABLE,
          `${subject.key} stopped while calls waited for it to resume`,
          {
            module: subject.key,
          },
        ),
      );
    }
    this.release(subject, "stop");
  }

  /** Runs what the module registered with `ctx.onStop`; a cleanup that throws is reported, not thrown. */
  private release(subject: S, command: LifecycleCommand): void {
    try {
      subject.releaseStopScope();
    } catch (err) {
      this.deps.onAfterHookError(subject, command, hookFailed(err, subject, "onStop cleanup"));
    }
  }

  private async rollback(
    subject: S,
    plan: TransitionPlan,
  ): Promise<{ state: LifecycleState; cleanupError?: unknown }> {
    switch (plan.command) {
      case "init":
        this.release(subject, "init");
        break;
      case "pause":
        subject.gate.open();
        break;
      case "stop":
        this.closeAfterStop(subject);
        break;
    }
    if (plan.rollback.hook === "stop") {
      try {
        await this.phases.moduleHook(subject, "stop", undefined);
      } catch (cleanupError) {
        this.release(subject, plan.command);
        return { state: "failed", cleanupError };
      }
      this.release(subject, plan.command);
    }
    return { state: plan.rollback.to };
  }
}

// Precomputed: looked up on every call of advance().
const advanceKeys = Object.fromEntries(lifecycleStates.map((s) => [s, `to:${s}`])) as Record<
  LifecycleState,
  string
>;
