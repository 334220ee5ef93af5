import { Gauge, type Registry } from "prom-client";
import type { BreakerStateName } from "../../policies/CircuitBreaker.js";
import type { Runtime } from "../../runtime/Runtime.js";

/** Every breaker state, each a series of `chipset_breaker_state` (1 for the current one). */
export const BREAKER_STATES: readonly BreakerStateName[] = ["closed", "open", "half-open", "isolated"];

/**
 * Registers `chipset_breaker_state` in `registry`: every circuit breaker that exists (made on
 * the first call it guards), `method="*"` for a module's shared one, read when scraped.
 */
export function registerBreakerMetrics(registry: Registry, runtime: Runtime): void {
  new Gauge({
    name: "chipset_breaker_state",
    help: 'State of each circuit breaker: 1 for the state it is in, 0 for the others; method="*" is the breaker a module\'s methods share.',
    labelNames: ["module", "method", "state"],
    registers: [registry],
    collect() {
      this.reset();
      for (const b of runtime.policies.breakers())
        for (const s of BREAKER_STATES)
          this.set({ module: b.id, method: b.method ?? "*", state: s }, s === b.state ? 1 : 0);
    },
  });
}
