import { isPromiseLike } from "../common/isPromiseLike.js";
import type { Instance } from "../instances/Instance.js";
import type { CallRun } from "../policies/CallRun.js";
import { LATER } from "../policies/PipelineTarget.js";
import type { SignalSource } from "../vocabulary/hosts.js";
import { callFailed, methodNotFound } from "./callErrors.js";

/**
 * How an attempt enters an instance's module, once the call path chose the instance: counted in
 * at its gate (and in its calls), handed to its host, counted out when it answers; the answer is
 * reported to the run (or settled, for a split that judges it first).
 */
export class InstanceEntry {
  /**
   * @param systemTime True when the runtime keeps time by the system clock: a run's start is on
   *   `performance.now()`'s scale, and hosts may measure from it.
   * @param count Counts a call that entered module `id` (its activity, for idle unloading).
   */
  constructor(
    private readonly systemTime: boolean,
    private readonly count: (id: string) => void,
  ) {}

  /**
   * The attempt enters the module. A synchronous answer comes straight back; an asynchronous one
   * is reported to the run when it settles ({@link LATER}): one `then` on the module's promise,
   * which also lets the gate go (unless a crash already gave up the calls in flight).
   */
  invoke(inst: Instance, run: CallRun, signal: SignalSource | undefined): unknown {
    const { method, args } = run;
    const host = inst.host;
    const gate = inst.gate;
    const entered = this.enter(inst, run);
    let value: unknown;
    try {
      value = host.call(method, args, signal, this.since(run));
    } catch (err) {
      gate.leave(entered);
      throw callFailed(inst, method, err);
    }
    if (!isPromiseLike(value)) {
      gate.leave(entered);
      return value;
    }
    run.inModule = inst;
    const token = run.token;
    value.then(
      (result) => {
        gate.leave(entered);
        run.attemptAnswered(token, undefined, result);
      },
      (err: unknown) => {
        gate.leave(entered);
        run.attemptAnswered(token, callFailed(inst, method, err), undefined);
      },
    );
    return LATER;
  }

  /** Counts the attempt of `run` in at `inst`'s gate (a missing method throws first); answers the gate's token. */
  private enter(inst: Instance, run: CallRun): number {
    if (!inst.host.hasMethod(run.method)) throw methodNotFound(inst, run.method);
    const entered = inst.gate.enter();
    inst.calls++;
    // The call's own clock reading (one fewer per call); a start during the call may be later.
    if (run.startedAt > inst.lastUsedAt) inst.lastUsedAt = run.startedAt;
    this.count(inst.id);
    return entered;
  }

  /**
   * Like {@link invoke}, but settles with the module's answer instead of reporting it to the run
   * (a split judges the answer first). With `crashFails`, a crash of an inline `inst` fails the
   * attempt at once, as on the usual path.
   */
  async invokeSettled(
    inst: Instance,
    run: CallRun,
    signal: SignalSource | undefined,
    crashFails: boolean,
  ): Promise<unknown> {
    const { method, args } = run;
    const entered = this.enter(inst, run);
    if (crashFails) run.inModule = inst;
    try {
      return await inst.host.call(method, args, signal, this.since(run));
    } catch (err) {
      throw callFailed(inst, method, err);
    } finally {
      inst.gate.leave(entered);
    }
  }

  /**
   * When `run` began on `performance.now()`'s scale: its own start when the runtime keeps time
   * by the system clock (the usual case), else unknown (a test's clock has its own origin).
   */
  private since(run: CallRun): number | undefined {
    return this.systemTime ? run.attemptStartedAt : undefined;
  }
}
