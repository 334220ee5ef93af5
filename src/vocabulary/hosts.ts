/** The words for where a module runs and how its host can die, shared by hosts and their users. */
import type { ChipsetError } from "../errors/ChipsetError.js";
import type { Isolation } from "./manifest.js";

/** How a host died (the `cause.kind` of `CHIP_ERR_MODULE_CRASHED`). */
export type CrashKind =
  | "uncaught-exception"
  | "unhandled-rejection"
  | "hang"
  | "heap-exhausted"
  | "exit"
  | "abort"
  | "memory-limit"
  | "killed"
  /** Its liveness probe failed `failureThreshold` times in a row: the runtime ended it. */
  | "liveness"
  /** Its startup probe did not pass within `failureThreshold × periodMs`: the runtime ended it. */
  | "startup"
  /** It held a resource limit whose `action` is `restart` for two samples: the runtime ended it. */
  | "resource-limit"
  /** It held a resource limit whose `action` is `stop` for two samples: the runtime ended it, and nothing restarts it. */
  | "resource-stop"
  /** A WebAssembly engine's call ran past `engine.wasm.timeLimitMs`: the runtime ended its host. */
  | "time-limit";

/** Where a host runs: its kind, and the pid / thread id that runs the module's code. */
export interface HostInfo {
  isolation: Isolation;
  /** The process running the module (this process for inline and worker hosts). */
  pid: number;
  /** The worker thread's id (worker hosts; 0 is the main thread). */
  threadId: number;
}

/**
 * A call's cancellation whose AbortSignal is made on first read: an AbortSignal costs ~2 µs to
 * make on Node 20, more than a whole inline call, so the call path hands this to inline hosts
 * and only a module that reads `currentCall().signal` pays for it.
 */
export interface SignalSource {
  readonly signal: AbortSignal;
}

/** How and when a host died. */
export interface CrashInfo {
  kind: CrashKind;
  /** `CHIP_ERR_MODULE_CRASHED`; its `cause` is what the module threw, or the exit / signal. */
  error: ChipsetError;
  exitCode?: number | null;
  signal?: string | null;
}

/** Why the runtime itself ends a host as crashed (a failed probe, a resource limit): `what` happened, and the failure behind it. */
export interface HostEnding {
  kind: "liveness" | "startup" | "resource-limit" | "resource-stop";
  /** What happened, in a few words (`"its liveness probe failed 3 times in a row"`). */
  what: string;
  /** The last probe's failure, or the limit held. */
  cause: Error;
}

/** The definition functions besides hooks and api that the host may invoke. */
export type DefinitionFunction = "exportState" | "importState" | "health" | "dependencyChanged";

/**
 * A fault injected inside a host on purpose (chaos experiments): a crash nobody can catch, a
 * heap that grows by `mbPerSecond` until released, or the release of such a leak.
 */
export type HostFault =
  { action: "crash"; message: string } | { action: "leak"; mbPerSecond: number } | { action: "release" };
