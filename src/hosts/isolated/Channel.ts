import type { ChildToHost, HostToChild } from "../protocol.js";

/** One message from the host (a batch is made by the channel itself). */
export type HostMessage = Exclude<HostToChild, { type: "batch" }>;

/** The messages that ask the child for an answer: each settles one pending request of the host. */
export type RequestMessage = Extract<
  HostMessage,
  { type: "load" | "hook" | "call" | "state" | "export-state" | "import-state" }
>;

const requestTypes: ReadonlySet<HostMessage["type"]> = new Set<RequestMessage["type"]>([
  "load",
  "hook",
  "call",
  "state",
  "export-state",
  "import-state",
]);

/** Whether `msg` asks the child for an answer. */
export function isRequest(msg: HostMessage): msg is RequestMessage {
  return requestTypes.has(msg.type);
}

/** The isolations that run a module outside the runtime's thread. */
export type IsolatedKind = "worker" | "process";

/** How a channel ended. */
export interface ChannelExit {
  /** Exit code (a worker ended by `terminate()` reports 1), or null when ended by a signal. */
  code: number | null;
  /** The signal that ended a process (`SIGKILL`, `SIGABRT`, ...), else null. */
  signal: NodeJS.Signals | null;
  /** The error a worker emitted before it ended (`ERR_WORKER_OUT_OF_MEMORY`, ...), or a spawn error. */
  error: Error | undefined;
  /** True when someone called {@link Channel.terminate} before it ended. */
  terminated: boolean;
  /** The last bytes the child wrote to stderr (process hosts only; see {@link STDERR_TAIL_BYTES}). */
  stderr: string;
  /** True when the kernel killed a process of its sandbox's cgroup for going over the memory limit. */
  oomKilled?: boolean;
}

/** How much of a child process's stderr a channel keeps, in bytes (UTF-16 units). */
export const STDERR_TAIL_BYTES = 8 * 1024;

/**
 * One worker thread or child process running `hosts/child/main.js`: messages both ways, its
 * end, and whether it keeps the runtime's event loop alive. The owner sets the callbacks.
 */
export interface Channel {
  readonly isolation: IsolatedKind;
  /** The process running the child (this process for a worker); known once started. */
  readonly pid: number;
  /** The worker's thread id (0 for a process). */
  readonly threadId: number;
  /** Resolves when the child has sent `ready`; rejects with `CHIP_ERR_HOST_START_FAILED` if it ends first. */
  readonly ready: Promise<void>;
  /** Resolves once the thread or process has ended (never rejects). */
  readonly exited: Promise<ChannelExit>;
  /** False once the child has ended. */
  readonly alive: boolean;
  /** Told of a message that could not be cloned and had no `onFail` of its own. */
  onSendFailed: ((msg: HostMessage, err: unknown) => void) | undefined;
  /** Receives every message after `ready`. */
  onMessage: ((msg: ChildToHost) => void) | undefined;
  /** Receives what the child writes to stdout (`console.log`), as it arrives. */
  onStdout: ((text: string) => void) | undefined;
  /** Receives what the child writes to stderr (`console.error`, Node's own reports), as it arrives. */
  onStderr: ((text: string) => void) | undefined;
  /**
   * Posts `msg` at the end of this turn, with the others sent in it (one post for them all).
   * `onFail` is told if it cannot be cloned (else the failure is logged). Dropped once the child ended.
   * `transfer`: ArrayBuffers in it that a worker moves rather than copies (a process copies them).
   */
  send(msg: HostMessage, onFail?: (err: unknown) => void, transfer?: ArrayBuffer[]): void;
  /** Ends the child now (worker `terminate()`, process SIGKILL); `exited` resolves when it has. */
  terminate(): void;
  /** Lets the child keep the event loop alive (while requests are pending). */
  ref(): void;
  /** Stops the child from keeping the event loop alive (idle, or blank in the pool). */
  unref(): void;
  /**
   * The child's V8 heap in use, in bytes, read from this thread rather than sent by the child;
   * undefined where Node cannot do that (process hosts; worker hosts before Node 24).
   * Rejects when the child ends first.
   */
  readHeapUsed(): Promise<number> | undefined;
  /**
   * The child's resident memory in bytes, read by this process (`/proc/<pid>/status`) rather
   * than sent by the child; undefined where that cannot be read (worker hosts, no `/proc`).
   */
  readRss(): number | undefined;
  /**
   * CPU time of the child's process (process hosts) or thread (worker hosts), user + system, in
   * µs, read by this thread from `/proc` even while the child is busy; undefined where there is
   * no `/proc` or the child has ended.
   */
  readCpuUs(): number | undefined;
  /** Bytes the child's process read from and wrote to storage (`/proc/<pid>/io`); undefined for workers and where unreadable. */
  readStorageIo(): { read: number; write: number } | undefined;
}
