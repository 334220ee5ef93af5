import type { ChipsetError } from "../errors/ChipsetError.js";
import type { CrashKind } from "../vocabulary/hosts.js";
import type { CrashRecord } from "./SupervisionStore.js";
import type { ProbeName } from "./probeSettings.js";

/** Identifies the instance a supervision event is about. */
interface About {
  id: string;
  version: string;
  /** Which replica, for every replica of a replicated module but the first. */
  replica?: number;
}

/** What supervision emits (part of the runtime's events). */
export interface SupervisionEvents {
  /** The module's host died, or (inline) it threw where no caller could catch it; calls in flight got `error`. */
  "module.crashed": About & { kind: CrashKind; error: ChipsetError };
  /** A restart is scheduled after `delayMs` of backoff (`attempt` counts since backoff last reset). */
  "module.restarting": About & { attempt: number; delayMs: number };
  /** The module serves again after a crash, `downtimeMs` after it went down. */
  "module.restarted": About & { attempt: number; downtimeMs: number };
  /** Too many restarts (`restarts` within `withinMs`): the module is `failed`; `crashes` is its history, newest first. */
  "module.gave-up": About & { restarts: number; withinMs: number; crashes: CrashRecord[] };
  /** Calls to the module go to its `fallback` module (`active` true) or back to it (`active` false). */
  "module.fallback": About & { fallback: string; active: boolean };
  /** A dependent was told that `dependency` crashed, restarted or gave up; `reaction` is its `onDependencyCrash`. */
  "module.dependency": About & {
    dependency: string;
    status: "crashed" | "restarted" | "gave-up";
    reaction: "continue" | "stop" | "restart";
  };
}

/** What the probes of a running module report (part of the runtime's events). */
export interface ProbeEvents {
  /** One probe ran: passed or failed, `consecutive` results like it in a row, and why it failed (`error`, a message). */
  "module.probe": About & { probe: ProbeName; ok: boolean; consecutive: number; error?: string };
  /**
   * The readiness probe failed `failures` times in a row: the module is out of service, its calls
   * go to its fallback or fail with `error` (`CHIP_ERR_MODULE_NOT_READY`).
   */
  "module.unready": About & { failures: number; error: ChipsetError };
  /** The readiness probe passed `successes` times in a row: the module serves again, after `unreadyMs` out of service. */
  "module.ready": About & { successes: number; unreadyMs: number };
}

/** Where the supervisor sends its events (the runtime's emitter). */
export interface SupervisionEventSink {
  emit<K extends keyof SupervisionEvents>(name: K, event: SupervisionEvents[K]): void;
}
