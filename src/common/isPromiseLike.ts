/**
 * True when `value` has a `then` method: a promise or any thenable. Hooks and calls that answer
 * synchronously skip every promise on their way back, so the hot paths ask this first.
 */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
