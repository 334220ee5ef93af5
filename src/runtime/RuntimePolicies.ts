import type { Disposable } from "../common/Disposable.js";
import type { CallsConfig } from "../vocabulary/calls.js";
import type { MethodPolicy } from "../policies/CallsConfig.js";
import type { BreakerSnapshot, FallbackHandler, PolicyBook } from "../policies/PolicyBook.js";
import type { ChipsetManifest } from "../vocabulary/manifest.js";
import { validateCallsConfig } from "../registry/validateCalls.js";

/**
 * The call policies at run time (`runtime.policies`): override a module's `calls`, register
 * fallback answers, isolate a module or method by hand, and read the breakers' states.
 */
export class RuntimePolicies {
  constructor(
    private readonly book: PolicyBook,
    /** The manifest a call to `id` would use now (active version, else the highest registered). */
    private readonly manifestOf: (id: string) => ChipsetManifest | undefined,
  ) {}

  /**
   * Replaces the runtime override of module `id`'s policies: the same shape as the manifest's
   * `calls`, applied over it (and over the runtime's defaults). Throws `CHIP_ERR_POLICY_INVALID`
   * for a malformed one, and nothing changes. Breakers whose settings stay the same keep their state.
   */
  set(id: string, calls: CallsConfig): void {
    this.book.override(id, validateCallsConfig(calls, `runtime.policies.set("${id}")`));
  }

  /**
   * Puts `calls` over `id`'s policies, override included, until the result is disposed; then
   * what was there applies again (a chaos experiment's policies). `CHIP_ERR_POLICY_INVALID` if malformed.
   */
  layer(id: string, calls: CallsConfig): Disposable {
    return this.book.layer(id, validateCallsConfig(calls, `runtime.policies.layer("${id}")`));
  }

  /** Removes the runtime override of `id`: its manifest's `calls` apply again. */
  reset(id: string): void {
    this.book.override(id, undefined);
  }

  /**
   * Answers calls to `id`'s `method` (`"*"`: every method) while the module cannot (crashed,
   * down, timed out, overloaded, breaker open) with `answer`: a handler `(error, args) => value`,
   * or `{ value }`. Preferred over the manifest's `fallback` module. Dispose to remove it.
   */
  fallback(id: string, method: string, answer: FallbackHandler | { value: unknown }): Disposable {
    const handler: FallbackHandler =
      typeof answer === "function" ? answer : () => structuredClone(answer.value);
    return this.book.fallback(id, method, handler);
  }

  /** Holds the breaker of `id` (or of one method) open: every call is refused with `CHIP_ERR_BREAKER_OPEN` until disposed. */
  isolate(id: string, method?: string): Disposable {
    return this.book.module(id).isolate(method);
  }

  /** Every breaker that exists (made on the first call a breaker guards), with its state. */
  breakers(): BreakerSnapshot[] {
    return this.book.breakers();
  }

  /** The policies a call to `id`'s `method` goes through now, every level combined. */
  effective(id: string, method: string): MethodPolicy {
    return this.book.module(id).resolve(method, this.manifestOf(id)?.calls);
  }
}
