import type { Disposable } from "../../common/Disposable.js";
import { FsMeter } from "./FsMeter.js";
import type { SinkOf } from "./IoSink.js";
import { NetMeter } from "./NetMeter.js";

interface Installed {
  fs: FsMeter;
  net: NetMeter;
  users: number;
}

// One set of meters per thread, shared by every runtime in it and every copy of this library:
// `fs` must be patched once, or each byte would be counted once per copy.
const key = Symbol.for("chipset.io-meters");
const globals = globalThis as unknown as Record<symbol, Installed | undefined>;

/**
 * Counts this thread's `node:fs` and network bytes into the counters `sinkOf` names at each
 * call (see {@link FsMeter} and {@link NetMeter}). The first caller's `sinkOf` is used while
 * any caller keeps the meters (in the runtime's thread every caller passes the same rule: the
 * inline module of the current call); the last dispose restores `fs`.
 *
 * @param options.fromZero a socket first seen when a request uses it is charged from its first
 *   byte (a child host, where every socket is the module's).
 */
export function installIoMeters(sinkOf: SinkOf, options: { fromZero: boolean }): Disposable {
  let installed = globals[key];
  if (installed === undefined) {
    installed = { fs: new FsMeter(sinkOf), net: new NetMeter(sinkOf, options.fromZero), users: 0 };
    installed.fs.install();
    installed.net.install();
    globals[key] = installed;
  }
  installed.users++;
  let done = false;
  const meters = installed;
  return {
    dispose() {
      if (done) return;
      done = true;
      if (--meters.users > 0) return;
      meters.fs.uninstall();
      meters.net.uninstall();
      if (globals[key] === meters) globals[key] = undefined;
    },
  };
}

/** Charges the bytes open sockets carried since they were last charged; call before reading the counters. */
export function flushIoMeters(): void {
  globals[key]?.net.flush();
}

/** Runs `fn` without counting its `fs` calls (the host's own reads, such as `/proc`). */
export function unmetered<T>(fn: () => T): T {
  const installed = globals[key];
  return installed === undefined ? fn() : installed.fs.unmetered(fn);
}
