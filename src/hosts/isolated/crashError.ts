import { ChipsetError } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";
import type { CrashKind } from "../../vocabulary/hosts.js";
import { rebuildError } from "../child/rebuildError.js";
import type { CrashMessage } from "../protocol.js";
import type { ChannelExit, IsolatedKind } from "./Channel.js";
import type { HangTolerance } from "./Watchdog.js";

/** What a module's author can do about each way of dying. */
const advice: Record<CrashKind, string> = {
  "uncaught-exception": "catch the errors of the module's timers, callbacks and event handlers",
  "unhandled-rejection": "handle the rejection of every promise the module creates",
  hang: "an endless loop or long synchronous work blocked its event loop; yield to the event loop, or raise hosts.hangTimeoutMs or hosts.hangFailureThreshold",
  "heap-exhausted": "raise limits.memoryMb in its manifest, or make the module use less memory",
  exit: "a module must not call process.exit(); throw an error instead",
  abort: "a module must not call process.abort(); a native addon may also have failed",
  "memory-limit": "raise limits.memoryMb in its manifest, or make the module use less memory",
  killed: "something outside chipset (an operator, the system's out-of-memory killer) ended it",
  liveness:
    "find out why its liveness probe fails (a deadlock, a lost connection), or raise probes.liveness.timeoutMs or failureThreshold in its manifest",
  startup:
    "make it ready sooner, or give its startup probe more time: raise probes.startup.failureThreshold or periodMs in its manifest",
  "resource-limit":
    "make the module use less, raise the limit in its manifest's limits (or the config's resources.limits), or set limits.action to \"warn\"",
  "time-limit":
    "make each call do less (split the work into several calls), or raise engine.wasm.timeLimitMs in its manifest; its supervisor restarts it by its restart policy",
  "resource-stop":
    "it stays down (its fallback answers) until an operator restarts it (chipset restart <id>); make the module use less, or raise the limit in its manifest's limits",
};

/** Why a host died, as seen by its owner. */
export interface CrashFacts {
  kind: CrashKind;
  /** What happened, in a few words (`"its process exited with code 3"`). */
  what: string;
  /** What the module threw, or a description of the exit. */
  cause: Error;
  exitCode?: number | null;
  signal?: string | null;
  /** More for the error's `details` (a time limit's method and limit). */
  details?: Record<string, unknown>;
}

// Exit code 0 is how a module ends itself on purpose; only its restart policy says what follows.
const normalExit =
  'restart policies "transient" and "temporary" take that as a normal end and leave the module unloaded ' +
  'until its next call, "permanent" restarts it; a module that should keep serving returns instead of calling process.exit()';

/**
 * `CHIP_ERR_MODULE_CRASHED` for `key`: `${key} crashed (${kind}): what; advice` (exit code 0:
 * `${key} what before answering; ...`, which is no crash), details `{ kind, exitCode?, signal? }`.
 */
export function crashError(key: string, facts: CrashFacts): ChipsetError {
  const details: Record<string, unknown> = { kind: facts.kind, ...facts.details };
  if (facts.exitCode !== undefined) details.exitCode = facts.exitCode;
  if (facts.signal !== undefined) details.signal = facts.signal;
  return new ChipsetError(
    ErrorCodes.MODULE_CRASHED,
    isNormalExit(facts)
      ? `${key} ${facts.what} before answering; ${normalExit}`
      : `${key} crashed (${facts.kind}): ${facts.what}; ${advice[facts.kind]}`,
    {
      module: key,
      cause: facts.cause,
      details,
    },
  );
}

/**
 * Tells how a thread or process that nobody asked to end died, from its exit code, signal,
 * error, stderr and whether the kernel killed it at its cgroup's memory limit.
 */
export function classifyExit(isolation: IsolatedKind, exit: ChannelExit): CrashFacts {
  const base = { exitCode: exit.code, signal: exit.signal };
  const errorCode = (exit.error as { code?: unknown } | undefined)?.code;
  if (errorCode === "ERR_WORKER_OUT_OF_MEMORY") {
    return {
      ...base,
      kind: "heap-exhausted",
      what: "its worker ran out of JavaScript heap",
      cause: exit.error!,
    };
  }
  if (exit.oomKilled === true) {
    return {
      ...base,
      kind: "memory-limit",
      what: "the kernel killed its process at the memory limit of its cgroup (limits.memoryMb)",
      cause: exitCause(exit),
    };
  }
  if (exit.signal === "SIGABRT") {
    if (/heap out of memory/i.test(exit.stderr)) {
      return {
        ...base,
        kind: "heap-exhausted",
        what: "its process ran out of JavaScript heap",
        cause: exitCause(exit),
      };
    }
    return { ...base, kind: "abort", what: "its process aborted (SIGABRT)", cause: exitCause(exit) };
  }
  if (exit.signal !== null) {
    return {
      ...base,
      kind: "killed",
      what: `its process was killed by ${exit.signal}`,
      cause: exitCause(exit),
    };
  }
  if (exit.error !== undefined) {
    return {
      ...base,
      kind: "uncaught-exception",
      what: `its ${isolation} failed: ${exit.error.message}`,
      cause: exit.error,
    };
  }
  return {
    ...base,
    kind: "exit",
    what:
      exit.code === 0
        ? `ended its own ${isolation} with exit code 0`
        : `its ${isolation} exited with code ${String(exit.code)}`,
    cause: exitCause(exit),
  };
}

/** The child's own report of what killed it (an uncaught error, an unhandled rejection, `process.abort()`). */
export function reportedCrash(msg: CrashMessage): CrashFacts {
  return {
    kind: msg.kind,
    what:
      msg.kind === "abort" ? "the module called process.abort()" : `${msg.error.name}: ${msg.error.message}`,
    cause: rebuildError(msg.error),
  };
}

/** A process whose resident memory (`rssBytes`) went past its `limits.memoryMb` (`limitMb`). */
export function memoryLimitCrash(rssBytes: number, limitMb: number | undefined): CrashFacts {
  const mib = (rssBytes / 1024 / 1024).toFixed(1);
  return {
    kind: "memory-limit",
    what: `its process used ${mib} MiB of memory, above its limit of ${limitMb} MiB`,
    cause: new Error(`resident memory ${mib} MiB > limits.memoryMb ${limitMb}`),
  };
}

/** A child silent for `silentMs` ms, which the watchdog with tolerance `hang` took for hung. */
export function hangCrash(isolation: IsolatedKind, silentMs: number, hang: HangTolerance): CrashFacts {
  const ms = Math.round(silentMs);
  return {
    kind: "hang",
    what:
      `no message from its ${isolation} for ${ms} ms ` +
      `(${hang.failureThreshold} windows of hangTimeoutMs ${hang.timeoutMs} ms in a row)`,
    cause: new Error(`no heartbeat for ${ms} ms`),
  };
}

/** A WebAssembly engine's call of `method` still running after its time limit of `limitMs` ms. */
export function timeLimitCrash(isolation: IsolatedKind, method: string, limitMs: number): CrashFacts {
  return {
    kind: "time-limit",
    what: `its WebAssembly call ${method}() ran past its time limit of ${limitMs} ms (engine.wasm.timeLimitMs), so its ${isolation} was ended`,
    cause: new Error(`${method}() still running after ${limitMs} ms`),
    details: { method, limitMs },
  };
}

function isNormalExit(facts: CrashFacts): boolean {
  return facts.kind === "exit" && facts.exitCode === 0;
}

function exitCause(exit: ChannelExit): Error {
  const how = exit.signal !== null ? `killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
  const stderr = exit.stderr.trim();
  return new Error(stderr ? `${how}; stderr ends with: ${stderr.slice(-1000)}` : how);
}
