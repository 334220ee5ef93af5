import { systemClock, type Clock } from "../common/Clock.js";
import { abortError } from "../common/abort.js";
import { type ChipsetManifest } from "../vocabulary/manifest.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { makeModuleProxy } from "../hosts/makeModuleProxy.js";
import type { SignalSource } from "../vocabulary/hosts.js";
import type { ModuleProxy } from "../module.js";
import { CallPipeline } from "../policies/CallPipeline.js";
import type { PipelineTarget } from "../policies/PipelineTarget.js";
import type { CallRun } from "../policies/CallRun.js";
import type { PolicyBook } from "../policies/PolicyBook.js";
import type { PolicyEventSink } from "../policies/PolicyEvents.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import { toDisposable, type Disposable } from "../common/Disposable.js";
import type { CallInterceptor } from "./CallInterceptor.js";
import { RefMemo } from "./RefMemo.js";
import type { CallSplit, SplitPort } from "./CallSplit.js";
import { closedError, moduleDown } from "./callErrors.js";
import { InstanceEntry } from "./InstanceEntry.js";
import type { CallObserver, CallOutcome } from "./CallObserver.js";

/** Any module api, as seen through an untyped proxy. */
export type AnyApi = Record<string, (...args: never[]) => unknown>;

/** What the call path needs from the runtime. */
export interface CallDeps {
  clock: Clock;
  random: () => number;
  instances: InstanceReader;
  policies: PolicyBook;
  events: PolicyEventSink;
  observer: CallObserver;
  /** The manifest of the version of `id` (within `range`, if given) a first call would load. */
  manifestOf(id: string, range?: string): ChipsetManifest | undefined;
  /** Throws `CHIP_ERR_RUNTIME_CLOSED` once the runtime is closing. */
  assertOpen(): void;
  /** Brings `ref` and its dependencies to `running`. */
  ensureRunning(ref: string, signal?: AbortSignal): Promise<Instance>;
  /** Counts one call (usage statistics). */
  count(id: string): void;
  /** True while the instance at `key` (`id@version`) is down after a crash (its calls fail fast or go to its fallback). */
  isDown(key: string): boolean;
  /** The range the application's `use` sets for `id`: where a call to the plain id goes. */
  useRange(id: string): string | undefined;
}

/**
 * How a call reaches a module: through the policy pipeline (fallback, retry, breaker,
 * bulkhead, timeout; see {@link CallPipeline}) to one attempt, to the instance the instance
 * table says answers it. An attempt's hot path (module running, intake open) is one map lookup,
 * a method check and the call itself, with no extra promise when the module answers
 * synchronously; everything else (first use, paused, down after a crash) takes the slow path.
 */
export class ModuleCalls {
  private readonly proxies = new Map<string, ModuleProxy<AnyApi>>();
  /** Each ref called, parsed once (`id@range`). */
  private readonly refs: RefMemo;
  readonly pipeline: CallPipeline;
  private closed = false;
  /** A tool standing between calls and modules (chaos), if one is installed. */
  private interceptor: CallInterceptor | undefined = undefined;
  /** Splits of the calls to an instance (an update's canary), by the instance's key. */
  private readonly splits = new Map<string, CallSplit>();
  /** How an attempt enters an instance's module. */
  private readonly entry: InstanceEntry;

  constructor(private readonly deps: CallDeps) {
    this.entry = new InstanceEntry(deps.clock === systemClock, (id) => deps.count(id));
    this.refs = new RefMemo((id) => deps.useRange(id));
    const { observer } = deps;
    // What the pipeline asks of the runtime: one attempt, a fallback module, and what to tell
    // the observers (bound once: these run on every call).
    const target: PipelineTarget<CallRun> = {
      attempt: (run, signal) => this.reach(run, signal, true),
      fallback: (fallback, run) => this.call(fallback, run.method, run.args, run.callerSignal, false),
      fallbackOf: (id) => (deps.instances.current(id)?.manifest ?? deps.manifestOf(id))?.fallback,
      settled: observer.settled.bind(observer),
      attempted: observer.attempted.bind(observer),
    };
    this.pipeline = new CallPipeline(deps.clock, deps.random, deps.events, target);
  }

  /** Puts `interceptor` between calls and modules, until the result is disposed (one at a time). */
  intercept(interceptor: CallInterceptor): Disposable {
    if (this.interceptor !== undefined && this.interceptor !== interceptor)
      throw new ChipsetError(
        ErrorCodes.OPTIONS_INVALID,
        "another call interceptor is installed on this runtime; dispose it first (chaos is installed once per runtime by chaosOf)",
      );
    this.interceptor = interceptor;
    return toDisposable(() => {
      if (this.interceptor === interceptor) this.interceptor = undefined;
    });
  }

  /**
   * Lets `split` choose, per call, where the calls that reach `split.from` go, until the result
   * is disposed (one split per instance).
   */
  split(split: CallSplit): Disposable {
    const key = split.from.key;
    if (this.splits.has(key))
      throw new ChipsetError(
        ErrorCodes.MODULE_IN_USE,
        `the calls to ${key} are already split; wait for that to end`,
        {
          module: key,
        },
      );
    this.splits.set(key, split);
    return toDisposable(() => {
      if (this.splits.get(key) === split) this.splits.delete(key);
    });
  }

  /** Refuses every later call (the runtime is closing); calls in flight go on. */
  close(): void {
    this.closed = true;
  }

  /** Fails the calls still in flight with `CHIP_ERR_RUNTIME_CLOSED` and stops the deadline timer (the runtime closed). */
  dispose(): void {
    this.closed = true;
    this.interceptor?.close?.();
    this.interceptor = undefined;
    this.pipeline.dispose();
  }

  /**
   * The proxy of `ref`, made once and reused: each method name calls the module (see
   * {@link makeModuleProxy} for the names it answers itself, such as `toJSON` and `toString`).
   */
  use(ref: string): ModuleProxy<AnyApi> {
    let proxy = this.proxies.get(ref);
    if (!proxy) this.proxies.set(ref, (proxy = this.makeProxy(ref)));
    return proxy;
  }

  /**
   * Calls `method` of `ref` with `args` through its policies, loading and starting it on
   * demand. While the module cannot answer (down after a crash, breaker open, timed out), its
   * fallback answers if it has one (`fallbackAllowed` false for a call that is itself a fallback).
   */
  call(
    ref: string,
    method: string,
    args: readonly unknown[],
    signal?: AbortSignal,
    fallbackAllowed = true,
  ): Promise<unknown> {
    if (this.closed) return Promise.reject(closedError());
    return this.run(ref, method, args, signal, fallbackAllowed).start();
  }

  /**
   * Calls `method` of the live instance `inst` itself (a named replica or engine), through its
   * module's policies: no dispatch among its replicas, no activation. Fails with
   * `CHIP_ERR_MODULE_UNAVAILABLE` while it cannot take calls.
   */
  callInstance(
    inst: Instance,
    method: string,
    args: readonly unknown[],
    signal?: AbortSignal,
  ): Promise<unknown> {
    if (this.closed) return Promise.reject(closedError());
    const run = this.run(inst.key, method, args, signal, true);
    run.pinned = run.site = inst;
    return run.start();
  }

  /**
   * Like {@link call}, but never rejects: resolves with how the call went (answered by the module
   * or a fallback, or the error; attempts; duration in ms on the runtime's clock).
   */
  async callDetailed(
    ref: string,
    method: string,
    args: readonly unknown[],
    signal?: AbortSignal,
  ): Promise<CallOutcome> {
    if (this.closed) return { ok: false, error: closedError(), attempts: 0, durationMs: 0, callId: 0 };
    const run = this.run(ref, method, args, signal, true);
    try {
      const value = await run.start();
      return { ok: true, value, ...this.facts(run) };
    } catch (err) {
      return { ok: false, error: err as ChipsetError, ...this.facts(run) };
    }
  }

  private facts(run: CallRun): Omit<CallOutcome, "ok" | "value" | "error"> {
    return {
      callId: run.callId,
      attempts: run.attempt,
      durationMs: this.deps.clock.now() - run.startedAt,
      ...(run.answeredBy === undefined ? {} : { answeredBy: run.answeredBy }),
    };
  }

  private run(
    ref: string,
    method: string,
    args: readonly unknown[],
    signal: AbortSignal | undefined,
    fallbackAllowed: boolean,
  ): CallRun {
    const { id, range } = this.refs.parse(ref);
    const policies = this.deps.policies.module(id);
    const inst = this.deps.instances.answering(id, range);
    const calls = (inst !== undefined ? inst.manifest : this.deps.manifestOf(id, range))?.calls;
    const run = this.pipeline.run(policies.plan(method, calls), ref, args, signal, fallbackAllowed);
    // Errors of calls refused before any attempt (breaker, bulkhead) still say where the module runs.
    if (inst !== undefined) run.site = inst;
    return run;
  }

  // ---- attempts ------------------------------------------------------------------------------

  private makeProxy(ref: string): ModuleProxy<AnyApi> {
    return makeModuleProxy(ref, (method, args) => this.call(ref, method, args)) as ModuleProxy<AnyApi>;
  }

  /**
   * Takes `run` to its module: at once when it is running with intake open, else the slow way.
   * With `intercept`, chaos may stand in between; a call it let through (after a delay) comes
   * back here without it, so it finds the module as it is by then (paused, stopped, crashed).
   */
  private reach(run: CallRun, signal: SignalSource | undefined, intercept: boolean, split = true): unknown {
    const ref = run.ref;
    const id = run.plan.id;
    const range = this.refs.parse(ref).range;
    if (run.pinned !== undefined) return this.reachPinned(run.pinned as Instance, run, signal, intercept);
    let inst = this.deps.instances.answering(id, range);
    // A replicated module: its group picks the replica (not the one a retry left), else the slow way.
    if (inst?.group !== undefined) {
      const keyArg = inst.manifest.replicas?.keyArg;
      const request = keyArg === undefined ? undefined : { key: callKey(run.args[keyArg]) };
      inst = inst.group.pick(request, run.attempt > 1 ? run.site : undefined) ?? inst;
    }
    if (inst?.takesCalls === true && inst.unready === undefined && !this.closed) {
      run.site = inst;
      if (split && this.splits.size !== 0) {
        const by = this.splits.get(inst.key);
        if (by?.takes(range) === true) return by.attempt(run, this.port(run, signal, intercept));
      }
      if (intercept && this.interceptor?.active === true) return this.intercepted(inst, run, signal);
      return this.entry.invoke(inst, run, signal);
    }
    return this.slowAttempt(run, signal, intercept);
  }

  /** An attempt at the one instance the caller named: at once while it takes calls, after a pause, else refused. */
  private async reachPinned(
    inst: Instance,
    run: CallRun,
    signal: SignalSource | undefined,
    intercept: boolean,
  ): Promise<unknown> {
    const attempt = run.attempt;
    while (!inst.takesCalls && inst.state === "paused") await inst.gate.wait();
    if (!inst.takesCalls || this.closed) {
      await aTurn();
      throw new ChipsetError(
        ErrorCodes.MODULE_UNAVAILABLE,
        `${inst.key} is ${inst.state} and cannot take calls; start it, or let the dispatcher pick (runtime.execute)`,
        { module: inst.key },
      );
    }
    if (inst.unready !== undefined) throw inst.unready;
    if (!run.isCurrent(attempt)) return undefined;
    if (intercept && this.interceptor?.active === true)
      return this.interceptor.around(inst, run, () => this.entry.invoke(inst, run, signal));
    return this.entry.invoke(inst, run, signal);
  }

  /** How a split takes the attempt of `run` into the instance it chose, or back where calls go without it. */
  private port(run: CallRun, signal: SignalSource | undefined, intercept: boolean): SplitPort {
    return {
      enter: (inst, crashFails) => {
        run.site = inst;
        const proceed = () => this.entry.invokeSettled(inst, run, signal, crashFails);
        // A promise made this way also rejects with what an interceptor throws at once.
        return new Promise<unknown>((resolve) =>
          resolve(
            intercept && this.interceptor?.active === true
              ? this.interceptor.around(inst, run, proceed)
              : proceed(),
          ),
        );
      },
      resend: () => this.reach(run, signal, intercept, false),
    };
  }

  private intercepted(inst: Instance, run: CallRun, signal: SignalSource | undefined): unknown {
    return this.interceptor!.around(inst, run, () => this.reach(run, signal, false));
  }

  private async slowAttempt(
    run: CallRun,
    signal: SignalSource | undefined,
    intercept: boolean,
  ): Promise<unknown> {
    const { ref, method, callerSignal } = run;
    const attempt = run.attempt;
    this.deps.assertOpen();
    if (callerSignal?.aborted) throw abortError(callerSignal, `call ${ref}.${method}`);
    const refused = this.outOfService(ref);
    if (refused) {
      run.site = refused.inst;
      await aTurn();
      throw refused.error;
    }
    let inst = await this.deps.ensureRunning(ref, callerSignal);
    run.site = inst;
    // Wait while the module is paused (or pausing: running with intake closed); a resume followed
    // at once by another pause sends us back to waiting. Any other state fails at once.
    while (!inst.takesCalls) {
      if (inst.state !== "paused" && inst.state !== "running") {
        throw new ChipsetError(
          ErrorCodes.MODULE_UNAVAILABLE,
          `${inst.key} is ${inst.state} and cannot take calls; start it again`,
          { module: inst.key },
        );
      }
      await inst.gate.wait();
      // An update's switch holds calls at the old version's gate and opens it once calls go to
      // the new one: go where the call goes now.
      const { id, range } = this.refs.parse(ref);
      const now = this.deps.instances.answering(id, range);
      if (now !== undefined && now !== inst && now.state === "running") inst = run.site = now;
    }
    // Given up while it waited (timed out, aborted, retried): it must not reach the module late.
    if (!run.isCurrent(attempt)) return undefined;
    // Taken out of service by its readiness probe while the call waited.
    if (inst.unready !== undefined) throw inst.unready;
    if (intercept && this.interceptor?.active === true) return this.intercepted(inst, run, signal);
    return this.entry.invoke(inst, run, signal);
  }

  /**
   * The instance `ref` goes to and why it cannot take calls now, when it cannot: out of service
   * (its readiness probe failed), or down after a crash. Such calls fail at once (or go to a fallback).
   */
  private outOfService(ref: string): { inst: Instance; error: ChipsetError } | undefined {
    const { id, range } = this.refs.parse(ref);
    const inst = this.deps.instances.answering(id, range);
    if (inst === undefined) return undefined;
    if (inst.unready !== undefined) return { inst, error: inst.unready };
    if (!this.deps.isDown(inst.key) || inst.state === "running" || inst.state === "paused") return undefined;
    return { inst, error: moduleDown(inst) };
  }

  /**
   * An inline module crashed under the calls it was serving: they fail now with `error` (through
   * their policies: retry, fallback), and its gate stops waiting for them. A worker's or process's
   * host rejects its own requests instead.
   */
  crashed(inst: Instance, error: ChipsetError): void {
    this.pipeline.crashedAt(inst, error);
    inst.gate.abandon();
  }
}

/**
 * One turn of the event loop, taken before a refusal of a module that cannot take calls (down,
 * out of service): a caller that calls again at once on the error would otherwise spin in
 * microtasks, and no timer (the module's restart) would ever run.
 */
function aTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A call's key for hashing (`replicas.keyArg`): a string or number as it is, anything else as JSON. */
function callKey(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return JSON.stringify(value) ?? "";
}
