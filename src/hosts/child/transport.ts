import { parentPort } from "node:worker_threads";
import type { ChildToHost, HostToChild } from "../protocol.js";

/** How the child talks to its host: a worker's `parentPort`, or a forked process's IPC channel. */
export interface ChildTransport {
  /** `"worker"` inside a worker thread, `"process"` inside a forked child. */
  readonly isolation: "worker" | "process";
  /** Posts `msg` (structured clone); throws synchronously when `msg` cannot be cloned. */
  send(msg: ChildToHost): void;
  /** Delivers every message from the host to `fn`. */
  onMessage(fn: (msg: HostToChild) => void): void;
}

/** The transport of this thread: `parentPort` in a worker, else the IPC channel of `fork`. */
export function currentTransport(): ChildTransport {
  if (parentPort !== null) return workerTransport(parentPort);
  if (typeof process.send === "function") return processTransport();
  throw new Error("chipset child host: started neither as a worker thread nor with an IPC channel (fork)");
}

function workerTransport(port: NonNullable<typeof parentPort>): ChildTransport {
  return {
    isolation: "worker",
    send: (msg) => port.postMessage(msg),
    onMessage: (fn) => port.on("message", fn),
  };
}

function processTransport(): ChildTransport {
  const send = process.send!.bind(process);
  // An orphan must not outlive its host: the channel closes when the host process dies.
  process.on("disconnect", () => process.exit(0));
  return {
    isolation: "process",
    send(msg) {
      if (process.connected) send(msg);
    },
    onMessage: (fn) => process.on("message", fn as (msg: unknown) => void),
  };
}
