import { parentPort } from "node:worker_threads";
import { Outbox } from "../Outbox.js";
import type { ChildToHost, HostToChild } from "../protocol.js";

/** One message from the child (a batch is made by the transport itself). */
export type ChildMessage = Exclude<ChildToHost, { type: "batch" }>;

/** How the child talks to its host: a worker's `parentPort`, or a forked process's IPC channel. */
export interface ChildTransport {
  /** `"worker"` inside a worker thread, `"process"` inside a forked child. */
  readonly isolation: "worker" | "process";
  /**
   * Posts `msg` at the end of this turn, with the others sent in it (one post for them all).
   * `onFail` is told if it cannot be cloned; without one, such a message is dropped.
   * `transfer`: ArrayBuffers in it that a worker moves rather than copies (a process copies them).
   */
  send(msg: ChildMessage, onFail?: (err: unknown) => void, transfer?: ArrayBuffer[]): void;
  /** Posts what is queued, then `msg`, now (a crash report: the thread or process ends next). */
  sendNow(msg: ChildMessage): void;
  /** Posts what is queued now, rather than at the end of this turn. */
  flush(): void;
  /** Delivers every message from the host to `fn`, a batch one by one. */
  onMessage(fn: (msg: Exclude<HostToChild, { type: "batch" }>) => void): void;
}

/** The transport of this thread: `parentPort` in a worker, else the IPC channel of `fork`. */
export function currentTransport(): ChildTransport {
  if (parentPort !== null) {
    const port = parentPort;
    return transport(
      "worker",
      (msg, transfer) => port.postMessage(msg, transfer),
      (fn) => port.on("message", fn),
    );
  }
  if (typeof process.send === "function") {
    const send = process.send.bind(process);
    // An orphan must not outlive its host: the channel closes when the host process dies. What
    // the module started goes with it: the host made this process lead its own process group
    // (POSIX), so signalling the group reaches its descendants, and this process last.
    process.on("disconnect", () => {
      if (process.platform !== "win32") {
        try {
          process.kill(-process.pid, "SIGKILL");
        } catch {
          // Not a group leader (started by something else than a host): only this process ends.
        }
      }
      process.exit(0);
    });
    return transport(
      "process",
      (msg) => {
        if (process.connected) send(msg);
      },
      (fn) => process.on("message", fn as (msg: unknown) => void),
    );
  }
  throw new Error("chipset child host: started neither as a worker thread nor with an IPC channel (fork)");
}

function transport(
  isolation: "worker" | "process",
  post: (msg: ChildToHost, transfer: ArrayBuffer[]) => void,
  listen: (fn: (msg: HostToChild) => void) => void,
): ChildTransport {
  // A message that cannot be cloned and has no onFail of its own has nobody to tell.
  const outbox = new Outbox<ChildMessage>(post, () => undefined);
  return {
    isolation,
    send: (msg, onFail, transfer) => outbox.send(msg, onFail, transfer),
    sendNow: (msg) => outbox.sendNow(msg),
    flush: () => outbox.flush(),
    onMessage: (fn) =>
      listen((msg) => {
        if (msg.type !== "batch") return fn(msg);
        for (const m of msg.messages) fn(m);
      }),
  };
}
