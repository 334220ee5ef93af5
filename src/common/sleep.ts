import type { Clock } from "./Clock.js";

/**
 * Resolves after `ms` milliseconds on `clock`, or at once when `signal` fires (never rejects:
 * the caller looks at the signal if it cares why).
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = clock.setTimeout(done, ms);
    function done(): void {
      timer.dispose();
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
