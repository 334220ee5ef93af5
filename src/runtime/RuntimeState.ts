import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";

/** Where the runtime itself is: made, started, closing, closed. */
export type RuntimePhase = "created" | "started" | "closing" | "closed";

/** The runtime's own state, which every part that refuses work after close reads. */
export class RuntimeState {
  phase: RuntimePhase = "created";

  /** True once `close()` has begun: nothing new is started. */
  get closing(): boolean {
    return this.phase === "closing" || this.phase === "closed";
  }

  /** Throws `CHIP_ERR_RUNTIME_CLOSED` once the runtime is closing. */
  assertOpen(): void {
    if (this.closing)
      throw new ChipsetError(ErrorCodes.RUNTIME_CLOSED, "the runtime is closed; create a new one to go on");
  }

  /** Queries that read the database work until it is closed (while closing too). */
  assertReadable(): void {
    if (this.phase === "closed")
      throw new ChipsetError(
        ErrorCodes.RUNTIME_CLOSED,
        "the runtime is closed, and its database with it; read errors with a new runtime on the same data directory (or chipset errors)",
      );
  }
}
