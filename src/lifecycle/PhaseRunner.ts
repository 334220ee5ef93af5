import type { Clock } from "../common/Clock.js";
import { isPromiseLike } from "../common/isPromiseLike.js";
import { LazyAbort, race } from "../common/race.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { lifecycleCommands } from "./transitions.js";
import type { HostHook, LifecycleCommand } from "../vocabulary/lifecycle.js";
import type { AppHook, HookPoint, HookRegistry } from "./HookRegistry.js";
import { hookFailed } from "./hookErrors.js";
import type { LifecycleSubject } from "./LifecycleSubject.js";

/**
 * Runs what one lifecycle phase waits on: the module's own hook, the application's `before:` and
 * `after:` hooks, or any work of the phase (a load, calls draining), each within the phase's
 * timeout (`timeoutFor(command)`, ms) and the caller's signal, with an AbortSignal that fires
 * when either ends it. What answers synchronously costs no promise.
 */
export class PhaseRunner {
  constructor(
    private readonly clock: Clock,
    private readonly hooks: HookRegistry,
  ) {}

  /** Runs the module's `hook`, if it has one; throws or rejects with `CHIP_ERR_HOOK_FAILED` / `_TIMEOUT`. */
  moduleHook(
    subject: LifecycleSubject,
    hook: HostHook,
    signal: AbortSignal | undefined,
  ): void | Promise<void> {
    if (!subject.host.hasHook(hook)) return;
    const phase = new LazyAbort();
    let value: unknown;
    try {
      value = subject.host.runHook(hook, subject.context(phase));
    } catch (err) {
      throw hookFailed(err, subject, hook);
    }
    if (isPromiseLike(value)) return this.bounded(subject, hook, value, phase, signal);
  }

  /** Runs the application hooks registered `when` (before or after) `command` on `subject`, in order. */
  appHooks(
    subject: LifecycleSubject,
    command: LifecycleCommand,
    when: "before" | "after",
    signal: AbortSignal | undefined,
  ): void | Promise<void> {
    const hooks = this.hooks.matching(hookPoints[when][command], subject.id, subject.kind);
    if (hooks.length > 0) return this.runAppHooks(hooks, subject, command, when, signal);
  }

  /**
   * Waits for what a phase returned, within the phase's timeout and the caller's `signal`;
   * aborts `phase` when either ends it first. A rejection is the hook's failure (`wrap`; a
   * load's errors are already coded by its host).
   */
  bounded(
    subject: LifecycleSubject,
    command: LifecycleCommand,
    work: PromiseLike<unknown>,
    phase: LazyAbort,
    signal: AbortSignal | undefined,
    wrap: (err: unknown) => unknown = (err) => (command === "load" ? err : hookFailed(err, subject, command)),
  ): Promise<void> {
    const ms = subject.timeoutFor(command);
    // What a phase resolves with is of no interest: typed as void rather than mapped (one promise fewer).
    return race(work as PromiseLike<void>, {
      clock: this.clock,
      ms,
      onTimeout: () => {
        throw new ChipsetError(
          ErrorCodes.HOOK_TIMEOUT,
          `${subject.key} did not finish ${command} within ${ms} ms; raise chipset.timeouts.${command} in its manifest ` +
            `or find what blocks it`,
          { module: subject.key, details: { phase: command, timeoutMs: ms } },
        );
      },
      signal,
      what: `${command} of ${subject.key}`,
      module: subject.key,
      onReject: wrap,
      onGiveUp: (reason) => phase.abort(reason),
    });
  }

  private async runAppHooks(
    hooks: readonly AppHook[],
    subject: LifecycleSubject,
    command: LifecycleCommand,
    when: "before" | "after",
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const name = `${when}:${command}`;
    for (const fn of hooks) {
      const phase = new LazyAbort();
      let value: unknown;
      const event = { id: subject.id, version: subject.version, kind: subject.kind, command };
      try {
        value = fn({
          ...event,
          get signal() {
            return phase.signal;
          },
        });
      } catch (err) {
        throw hookFailed(err, subject, name);
      }
      if (isPromiseLike(value))
        await this.bounded(subject, command, value, phase, signal, (err) => hookFailed(err, subject, name));
    }
  }
}

// Precomputed strings: these are looked up on every lifecycle step.
const hookPoints = {
  before: Object.fromEntries(lifecycleCommands.map((c) => [c, `before:${c}`])),
  after: Object.fromEntries(lifecycleCommands.map((c) => [c, `after:${c}`])),
} as Record<"before" | "after", Record<LifecycleCommand, HookPoint>>;
