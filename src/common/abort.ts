import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Clock } from "./Clock.js";

/** The error an aborted operation rejects with: `CHIP_ERR_ABORTED`, `cause` = `signal.reason`. */
export function abortError(signal: AbortSignal, what: string, module?: string): ChipsetError {
  if (signal.reason instanceof ChipsetError) return signal.reason;
  return new ChipsetError(ErrorCodes.ABORTED, `${what} was cancelled`, { cause: signal.reason, module });
}

/** Throws {@link abortError} when `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string, module?: string): void {
  if (signal?.aborted) throw abortError(signal, what, module);
}

/**
 * Runs `fn` with a signal that aborts when `parent` aborts or after `ms` milliseconds
 * (the abort reason is `onTimeout()`); the returned promise rejects at that moment even if
 * `fn` ignores its signal. The timer is cleared as soon as `fn` settles.
 */
export async function withDeadline<T>(
  fn: (signal: AbortSignal) => Promise<T> | T,
  options: {
    ms: number;
    clock: Clock;
    signal?: AbortSignal;
    onTimeout: () => Error;
    what: string;
    module?: string;
  },
): Promise<T> {
  const { ms, clock, signal: parent, onTimeout, what, module } = options;
  throwIfAborted(parent, what, module);
  const controller = new AbortController();
  let reject!: (err: unknown) => void;
  const stop = new Promise<never>((_, rej) => (reject = rej));
  const timer = Number.isFinite(ms)
    ? clock.setTimeout(() => {
        const err = onTimeout();
        controller.abort(err);
        reject(err);
      }, ms)
    : undefined;
  const onParentAbort = () => {
    const err = abortError(parent!, what, module);
    controller.abort(err);
    reject(err);
  };
  parent?.addEventListener("abort", onParentAbort, { once: true });
  try {
    return await Promise.race([Promise.resolve().then(() => fn(controller.signal)), stop]);
  } finally {
    timer?.dispose();
    parent?.removeEventListener("abort", onParentAbort);
  }
}
