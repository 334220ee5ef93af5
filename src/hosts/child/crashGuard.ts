import { serializeError, type CrashMessage } from "../protocol.js";
import type { ChildTransport } from "./transport.js";

/** Exit code of a worker whose module called `process.abort()` (128 + SIGABRT, as a shell reports it). */
export const ABORT_EXIT_CODE = 134;

/**
 * Reports what would otherwise kill the host silently, then calls `halt` so the child stops
 * serving (the host terminates it on the crash message):
 * - an uncaught exception or an unhandled rejection: a `crash` message of that kind;
 * - `process.abort()` inside a worker: Node cannot abort one thread (it throws
 *   `ERR_WORKER_UNSUPPORTED_OPERATION`, a plain error the module could swallow), so it is
 *   replaced by a function that reports a crash of kind `abort` and ends the thread with
 *   exit code {@link ABORT_EXIT_CODE}. A worker module that aborts thus dies as a process
 *   module does, and the runtime's process is never touched.
 */
export function installCrashGuard(transport: ChildTransport, halt: () => void): void {
  let crashed = false;
  const report = (kind: CrashMessage["kind"], err: unknown) => {
    if (crashed) return;
    crashed = true;
    halt();
    try {
      transport.sendNow({ type: "crash", kind, error: serializeError(err) });
    } catch {
      // The host is gone or the channel closed: the exit tells it what happened.
    }
  };
  process.on("uncaughtException", (err) => report("uncaught-exception", err));
  process.on("unhandledRejection", (reason) => report("unhandled-rejection", reason));
  if (transport.isolation === "worker") {
    process.abort = () => {
      report(
        "abort",
        new Error(
          "process.abort() was called in a worker thread; the module's worker was ended instead of the process",
        ),
      );
      process.exit(ABORT_EXIT_CODE);
    };
  }
}
