import type { RuntimeEventName } from "../runtime/RuntimeEvents.js";

/** Every runtime event, as a record so that a new event does not compile until it is listed here. */
const names: Readonly<Record<RuntimeEventName, true>> = {
  "module.registered": true,
  "module.rejected": true,
  "module.removed": true,
  "module.state": true,
  "module.loaded": true,
  "module.started": true,
  "module.stopped": true,
  "module.unloaded": true,
  "module.failed": true,
  "module.stalled": true,
  "module.anomaly": true,
  "module.crashed": true,
  "module.restarting": true,
  "module.restarted": true,
  "module.gave-up": true,
  "module.fallback": true,
  "module.dependency": true,
  "hook.failed": true,
  "load.progress": true,
  "runtime.started": true,
  "runtime.stopped": true,
  "runtime.error": true,
  "update.available": true,
  "update.checked": true,
  "update.started": true,
  "update.switched": true,
  "update.completed": true,
  "update.failed": true,
  "update.rolled-back": true,
  "breaker.opened": true,
  "breaker.half-open": true,
  "breaker.closed": true,
  "breaker.isolated": true,
  "retry.attempt": true,
  "call.timeout": true,
  "bulkhead.rejected": true,
  "fallback.used": true,
};

/** The name of every event the runtime emits (what `GET /v1/events` streams). */
export const runtimeEventNames: readonly RuntimeEventName[] = Object.freeze(
  Object.keys(names) as RuntimeEventName[],
);
