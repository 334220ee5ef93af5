import { ChipsetError } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";

/**
 * Closes what a worker module could otherwise do to the whole runtime with one call:
 * `process.kill` of the process that hosts it (its own pid, its process group, or 0, which is
 * the group) throws `CHIP_ERR_PERMISSION_DENIED` instead. A worker shares its process with the
 * runtime; it is a fault boundary, not a security boundary (docs/isolation.md), and this closes
 * only the cheapest way through it. Signals to any other process go through unchanged.
 */
export function installWorkerGuard(): void {
  const kill = process.kill.bind(process);
  const host = process.pid;
  process.kill = (pid: number, signal?: string | number): true => {
    if (pid === host || pid === 0 || pid === -host) {
      throw new ChipsetError(
        ErrorCodes.PERMISSION_DENIED,
        `a worker module may not signal the process that hosts it (process.kill(${pid})); ` +
          `to end the module itself, throw or call process.exit(); to run it in a process of its own, set "isolation": "process"`,
        { details: { pid, signal: signal ?? "SIGTERM" } },
      );
    }
    return kill(pid, signal);
  };
}
