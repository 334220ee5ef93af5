import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";

/** The error an aborted operation rejects with: `CHIP_ERR_ABORTED`, `cause` = `signal.reason`. */
export function abortError(signal: AbortSignal, what: string, module?: string): ChipsetError {
  if (signal.reason instanceof ChipsetError) return signal.reason;
  return new ChipsetError(ErrorCodes.ABORTED, `${what} was cancelled`, { cause: signal.reason, module });
}

/**
 * `promise`, or a rejection with {@link abortError} as soon as `signal` fires (the work itself
 * goes on unless whoever runs it also watches the signal).
 */
export function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  what: string,
  module?: string,
): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal, what, module));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, what, module));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passed on as it came
        reject(err);
      },
    );
  });
}
