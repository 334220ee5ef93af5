import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";

/** The error an aborted operation rejects with: `CHIP_ERR_ABORTED`, `cause` = `signal.reason`. */
export function abortError(signal: AbortSignal, what: string, module?: string): ChipsetError {
  if (signal.reason instanceof ChipsetError) return signal.reason;
  return new ChipsetError(ErrorCodes.ABORTED, `${what} was cancelled`, { cause: signal.reason, module });
}
