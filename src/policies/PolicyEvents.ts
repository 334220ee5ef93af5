import type { ChipsetError } from "../errors/ChipsetError.js";
import type { BreakerStateName, OpenReason } from "./CircuitBreaker.js";

/** Which breaker or bulkhead: the module's shared one (`method` absent), or one method's own. */
export interface PolicyRef {
  id: string;
  method?: string;
}

/** What the call policies emit (part of the runtime's events). */
export interface PolicyEvents {
  /** A breaker opened: calls are refused until `retryAt` (ms on the runtime's clock), then probed. */
  "breaker.opened": PolicyRef & { reason: OpenReason; failures: number; rate: number; openMs: number };
  /** A breaker lets probes through. */
  "breaker.half-open": PolicyRef;
  /** A breaker closed again (its probes succeeded, or an isolation was released). */
  "breaker.closed": PolicyRef & { from: BreakerStateName };
  /** A breaker was isolated by hand (`runtime.policies.isolate`). */
  "breaker.isolated": PolicyRef;
  /** An idempotent call failed and is tried again after `delayMs` (`attempt` is the one that failed). */
  "retry.attempt": PolicyRef & { method: string; attempt: number; delayMs: number; error: ChipsetError };
  /** An attempt did not answer within `timeoutMs`. */
  "call.timeout": PolicyRef & { method: string; attempt: number; timeoutMs: number };
  /** A bulkhead refused a call (every slot busy, queue full). */
  "bulkhead.rejected": PolicyRef & { method: string; active: number; queued: number };
  /** A call that failed with `error` was answered by a fallback: a module (`fallback` is its id) or the application's handler (`"handler"`). */
  "fallback.used": PolicyRef & { method: string; fallback: string; error: ChipsetError };
}

/** Where the policies send their events (the runtime's emitter). */
export interface PolicyEventSink {
  has(name: keyof PolicyEvents): boolean;
  emit<K extends keyof PolicyEvents>(name: K, event: PolicyEvents[K]): void;
}
