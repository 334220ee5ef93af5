import type { Clock } from "../common/Clock.js";
import { abortError } from "../common/abort.js";
import { parseModuleRef } from "../registry/Manifest.js";
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { ModuleProxy } from "../module.js";
import type { Instance } from "./Instance.js";

/** Any module api, as seen through an untyped proxy. */
export type AnyApi = Record<string, (...args: never[]) => unknown>;

/** What the call path needs from the runtime. */
export interface CallDeps {
  clock: Clock;
  active: ReadonlyMap<string, Instance>;
  /** Throws `CHIP_ERR_RUNTIME_CLOSED` once the runtime is closing. */
  assertOpen(): void;
  /** Brings `ref` and its dependencies to `running`. */
  ensureRunning(ref: string, signal?: AbortSignal): Promise<Instance>;
  /** Counts one call (usage statistics). */
  count(id: string): void;
  /** True while module `id` is down after a crash (its calls fail fast or go to its fallback). */
  isDown(id: string): boolean;
}

/**
 * How a call reaches a module. The hot path (module running, intake open) is one map lookup,
 * a method check and the call itself, with no extra promise when the module answers
 * synchronously; everything else (first use, paused) takes the slow path.
 */
export class ModuleCalls {
  private readonly proxies = new Map<string, ModuleProxy<AnyApi>>();
  private closed = false;

  constructor(private readonly deps: CallDeps) {}

  /** Refuses every later call (the runtime is closing). */
  close(): void {
    this.closed = true;
  }

  /** The proxy of `ref`, made once and reused. */
  use(ref: string): ModuleProxy<AnyApi> {
    let proxy = this.proxies.get(ref);
    if (!proxy) this.proxies.set(ref, (proxy = this.makeProxy(ref)));
    return proxy;
  }

  /**
   * Calls `method` of `ref` with `args`, loading and starting it on demand. While the module is
   * down after a crash, the call goes to its `fallback` module, or fails at once.
   */
  call(ref: string, method: string, args: readonly unknown[], signal?: AbortSignal): Promise<unknown> {
    const inst = this.deps.active.get(ref);
    if (
      inst !== undefined &&
      inst.state === "running" &&
      inst.gate.isOpen &&
      !this.closed &&
      !signal?.aborted
    )
      return this.invoke(inst, method, args, signal);
    return this.slowCall(ref, method, args, signal, true);
  }

  private makeProxy(ref: string): ModuleProxy<AnyApi> {
    const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
    return new Proxy(Object.create(null) as object, {
      get: (_target, prop) => {
        // `then` must stay undefined, or `await proxy` would treat the proxy as a promise.
        if (typeof prop !== "string" || prop === "then") return undefined;
        let fn = methods.get(prop);
        if (!fn) methods.set(prop, (fn = (...args: unknown[]) => this.call(ref, prop, args)));
        return fn;
      },
    }) as ModuleProxy<AnyApi>;
  }

  private async slowCall(
    ref: string,
    method: string,
    args: readonly unknown[],
    signal: AbortSignal | undefined,
    fallbackAllowed: boolean,
  ): Promise<unknown> {
    this.deps.assertOpen();
    if (signal?.aborted) throw abortError(signal, `call ${ref}.${method}`);
    const down = this.downInstance(ref);
    if (down) {
      const fallback = down.record.manifest.fallback;
      if (fallback !== undefined && fallbackAllowed)
        return this.slowCall(fallback, method, args, signal, false);
      throw new ChipsetError(
        ErrorCodes.MODULE_UNAVAILABLE,
        `${down.key} is down after a crash (${down.state}); calls fail until it is restarted` +
          (fallback === undefined
            ? ` (declare a "fallback" module in its manifest to answer meanwhile)`
            : ""),
        { module: down.key, cause: down.lastError, details: { state: down.state, crashed: true } },
      );
    }
    const inst = await this.deps.ensureRunning(ref, signal);
    // Wait while the module is paused (or pausing: running with intake closed); a resume followed
    // at once by another pause sends us back to waiting. Any other state fails at once.
    while (!(inst.state === "running" && inst.gate.isOpen)) {
      if (inst.state !== "paused" && inst.state !== "running") {
        throw new ChipsetError(
          ErrorCodes.MODULE_UNAVAILABLE,
          `${inst.key} is ${inst.state} and cannot take calls; start it again`,
          { module: inst.key },
        );
      }
      await inst.gate.wait();
    }
    return this.invoke(inst, method, args, signal);
  }

  private downInstance(ref: string): Instance | undefined {
    const { id } = parseModuleRef(ref);
    if (!this.deps.isDown(id)) return undefined;
    const inst = this.deps.active.get(id);
    return inst && inst.state !== "running" && inst.state !== "paused" ? inst : undefined;
  }

  private invoke(
    inst: Instance,
    method: string,
    args: readonly unknown[],
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    if (!inst.host.hasMethod(method)) return Promise.reject(methodNotFound(inst, method));
    inst.gate.enter();
    inst.calls++;
    inst.lastUsedAt = this.deps.clock.now();
    this.deps.count(inst.id);
    let value: unknown;
    try {
      value = inst.host.call(method, args, signal);
    } catch (err) {
      inst.gate.leave();
      return Promise.reject(callFailed(inst, method, err));
    }
    if (typeof (value as { then?: unknown } | null)?.then !== "function") {
      inst.gate.leave();
      return Promise.resolve(value);
    }
    return (value as Promise<unknown>).then(
      (result) => {
        inst.gate.leave();
        return result;
      },
      (err: unknown) => {
        inst.gate.leave();
        throw callFailed(inst, method, err);
      },
    );
  }
}

function methodNotFound(inst: Instance, method: string): ChipsetError {
  const available = inst.host.methods();
  return new ChipsetError(
    ErrorCodes.METHOD_NOT_FOUND,
    `${inst.key} has no method "${method}"; its api has: ${available.join(", ") || "(no methods)"}`,
    { module: inst.key, details: { method, available } },
  );
}

function callFailed(inst: Instance, method: string, err: unknown): ChipsetError {
  // The call did not fail in the module: it crashed under it, or the caller gave up on it.
  if (err instanceof ChipsetError && err.module === inst.key) {
    if (err.code === ErrorCodes.MODULE_CRASHED || err.code === ErrorCodes.ABORTED) return err;
  }
  return new ChipsetError(ErrorCodes.CALL_FAILED, `${inst.key}.${method} failed: ${messageOf(err)}`, {
    module: inst.key,
    cause: err,
    details: { method, ...(err instanceof ChipsetError ? { code: err.code } : {}) },
  });
}
