import inspector from "node:inspector";
import inspectorPromises from "node:inspector/promises";
import { syncBuiltinESMExports } from "node:module";
import { ChipsetError } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";

/**
 * Closes what a worker module could otherwise do to the whole runtime with one call:
 * `process.kill` of the process that hosts it (its own pid, its process group, or 0, which is
 * the group) throws `CHIP_ERR_PERMISSION_DENIED` instead, and so does `inspector.open()` (a
 * debugger port into the runtime's process, on any address). A worker shares its process with the
 * runtime; it is a fault boundary, not a security boundary (docs/isolation.md), and this closes
 * only the cheapest ways through it. Signals to any other process go through unchanged.
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
  closeInspector();
}

/**
 * Makes the inspector's `open` throw for importers and requirers alike (the ESM view is synced
 * from the CJS object). `process._debugProcess` does not exist in a worker, and SIGUSR1 to the
 * host goes through the guarded `process.kill`.
 */
function closeInspector(): void {
  const deny = () => {
    throw new ChipsetError(
      ErrorCodes.PERMISSION_DENIED,
      "a worker module may not open the inspector of the process that hosts it (inspector.open()): it would debug the whole runtime; " +
        "to debug a module, start the runtime itself with --inspect",
    );
  };
  (inspector as { open: unknown }).open = deny;
  (inspectorPromises as { open: unknown }).open = deny;
  syncBuiltinESMExports();
}
