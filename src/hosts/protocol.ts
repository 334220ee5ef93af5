/**
 * The one message protocol between the runtime and a module running in a worker thread or a
 * child process. Every message is a named type in this file; both sides import it, so a change
 * here is a change to both. Messages are structured-cloned (`postMessage`, or `fork` with
 * `serialization: "advanced"`), so arguments and results may be anything structured-clonable.
 *
 * Requests carry an `id`; the host numbers its requests (load, hook, call, state, ...) and the
 * child numbers its own (use, checkpoint); the two id spaces are separate.
 *
 *   host -> child: boot config (workerData / argv), load, hook, call, cancel, state, export-state,
 *                  import-state, notify, reply, chaos
 *   child -> host: ready, loaded, result, error, heartbeat, use, use-cancel, checkpoint, log, crash
 */
import type { UsageCounters } from "../vocabulary/resources.js";
import type { HostHook } from "../vocabulary/lifecycle.js";
import type { DefinitionFunction, HostFault } from "../vocabulary/hosts.js";
import type { StateParcel } from "./StateParcel.js";

/** Bumped on any incompatible change; the child refuses a boot config of another version. */
export const PROTOCOL_VERSION = 4;

/** An error as it crosses the boundary: enough to rebuild it on the other side. */
export interface SerializedError {
  name: string;
  message: string;
  /** `CHIP_ERR_*` for Chipset errors, or a Node code such as `ENOENT`. */
  code?: string;
  stack?: string;
  cause?: SerializedError;
  /** `ChipsetError.module`. */
  module?: string;
  /** `ChipsetError.details` (JSON-serialisable). */
  details?: Record<string, unknown>;
}

/** What a blank host is started with (worker `workerData`, or JSON in argv[2] for a process). */
export interface BootConfig {
  protocol: typeof PROTOCOL_VERSION;
  /** How often the child reports that it is alive (and its memory), in ms. */
  heartbeatMs: number;
}

// ---- host -> child ---------------------------------------------------------------------

/** Import the module's entry file and report what it defines. */
export interface LoadMessage {
  type: "load";
  id: number;
  /** `id@version`, for messages and logs. */
  key: string;
  moduleId: string;
  version: string;
  /** Absolute path of the entry file. */
  file: string;
  /** Ids the module may `ctx.use` (its `requires`). */
  requires: string[];
  /** Ids the module may `ctx.optional` (its `optional`). */
  optional: string[];
  /** `ctx.baseDir`. */
  baseDir: string;
  /** Present when `file` is a WebAssembly module: its exports are the api, run under these limits. */
  wasm?: WasmLimits;
}

/**
 * A WebAssembly engine's limits (manifest `engine.wasm`, defaults applied): the host ends the
 * module when one call runs longer than `timeLimitMs`; the child caps its linear memory at
 * `memoryMb` MiB.
 */
export interface WasmLimits {
  timeLimitMs: number;
  memoryMb: number;
}

/** Run one lifecycle hook. The child answers with `result` (value undefined) or `error`. */
export interface HookMessage {
  type: "hook";
  id: number;
  hook: HostHook;
  /** `ctx.config` (sent with every hook; validated by the host before `init`). */
  config: unknown;
  /** Optional dependencies that are present now (`ctx.optional(id)` returns a proxy for these). */
  available: string[];
}

/** Call an api method. `cancellable` (absent when false: a call sends what it needs): the caller passed a signal, so a `cancel` may follow. */
export interface CallMessage {
  type: "call";
  id: number;
  method: string;
  args: unknown[];
  cancellable?: true;
}

/** Abort the hook or call `id` inside the module (its signal fires with `reason`). */
export interface CancelMessage {
  type: "cancel";
  id: number;
  reason: SerializedError;
}

/** Invoke a definition function (`importState(state, fromVersion)`, `health()`, ...). */
export interface StateMessage {
  type: "state";
  id: number;
  fn: DefinitionFunction;
  args: unknown[];
  /** The host passed a signal (a restart's `importState`), so a `cancel` may follow. */
  cancellable?: true;
}

/**
 * Run `exportState()` and answer with its result as a {@link StateParcel}, serialized here (in
 * the old version's thread or process), so the runtime moves bytes instead of cloning the state
 * twice on its own thread. `cancellable`: as {@link StateMessage}'s.
 */
export interface ExportStateMessage {
  type: "export-state";
  id: number;
  cancellable?: true;
}

/** Run `importState(state, fromVersion)` with the state in `parcel` (from any host's export). */
export interface ImportStateMessage {
  type: "import-state";
  id: number;
  parcel: StateParcel;
  fromVersion: string;
  cancellable?: true;
}

/**
 * A fire-and-forget event for the module (no answer): `dependency` tells it that a dependency
 * crashed, restarted or gave up, by calling its `dependencyChanged(payload)` if it has one.
 */
export interface NotifyMessage {
  type: "notify";
  event: "dependency";
  payload: unknown;
}

/** A fault injected inside the host (chaos experiments); see {@link HostFault}. */
export type ChaosMessage = { type: "chaos" } & HostFault;

/** The answer to a child's request (`use` or `checkpoint`). */
export type ReplyMessage =
  | { type: "reply"; id: number; ok: true; value: unknown }
  | { type: "reply"; id: number; ok: false; error: SerializedError };

/** Everything the host sends. */
export type HostToChild =
  | HostBatch
  | LoadMessage
  | HookMessage
  | CallMessage
  | CancelMessage
  | StateMessage
  | ExportStateMessage
  | ImportStateMessage
  | NotifyMessage
  | ReplyMessage
  | ChaosMessage;

/** Several messages sent in one turn, in order (see hosts/Outbox.ts). */
export interface HostBatch {
  type: "batch";
  messages: Exclude<HostToChild, HostBatch>[];
}

// ---- child -> host ---------------------------------------------------------------------

/** Several messages sent in one turn, in order (see hosts/Outbox.ts). */
export interface ChildBatch {
  type: "batch";
  messages: Exclude<ChildToHost, ChildBatch>[];
}

/** The blank host has booted and waits for `load`. */
export interface ReadyMessage {
  type: "ready";
  pid: number;
  threadId: number;
  /** The kernel's id of the child's thread (Linux), so its CPU time can be read from `/proc/<pid>/task/<tid>/stat`; 0 where unknown. */
  tid: number;
}

/** The module was imported: what it defines (so `hasHook` / `hasMethod` answer synchronously). */
export interface LoadedMessage {
  type: "loaded";
  id: number;
  methods: string[];
  hooks: HostHook[];
  functions: DefinitionFunction[];
}

/** A request (`load`, `hook`, `call`, `state`, `export-state`, `import-state`) succeeded. */
export interface ResultMessage {
  type: "result";
  id: number;
  value: unknown;
}

/** A request failed; `error` is what the module threw (or why the child could not do it). */
export interface ErrorMessage {
  type: "error";
  id: number;
  error: SerializedError;
}

/**
 * Sent every `heartbeatMs`: the child's event loop is turning. Memory in bytes; `usage`: what the
 * module has used since it was loaded into this child (zero before), as the child counts it.
 */
export interface HeartbeatMessage {
  type: "heartbeat";
  heapUsed: number;
  rss: number;
  usage: UsageCounters;
}

/** The module calls `method` of module `target` (`ctx.use(target)[method](...args)`). */
export interface UseMessage {
  type: "use";
  id: number;
  target: string;
  method: string;
  args: unknown[];
  optional: boolean;
}

/** The module gave up waiting for its `use` request `id` (its own signal fired). */
export interface UseCancelMessage {
  type: "use-cancel";
  id: number;
}

/** `ctx.checkpoint(state)`: persist `state`; the host replies once it is stored. */
export interface CheckpointMessage {
  type: "checkpoint";
  id: number;
  state: unknown;
}

/** A line of the module's log (`ctx.log`). */
export interface LogMessage {
  type: "log";
  level: "debug" | "info" | "warn" | "error";
  obj: unknown;
  msg: string | undefined;
}

/**
 * What a worker's module wrote to `process.stdout` or `process.stderr` (`console.log`,
 * `console.error`). A process host's output reaches the host through its pipes instead.
 */
export interface OutputMessage {
  type: "output";
  stream: "stdout" | "stderr";
  text: string;
}

/**
 * The child caught an error nobody else could, or (in a worker) the module called
 * `process.abort()`; the child stops working and the host terminates it.
 */
export interface CrashMessage {
  type: "crash";
  kind: "uncaught-exception" | "unhandled-rejection" | "abort";
  error: SerializedError;
}

/** Everything the child sends. */
export type ChildToHost =
  | ChildBatch
  | ReadyMessage
  | LoadedMessage
  | ResultMessage
  | ErrorMessage
  | HeartbeatMessage
  | UseMessage
  | UseCancelMessage
  | CheckpointMessage
  | LogMessage
  | OutputMessage
  | CrashMessage;

// ---- errors ------------------------------------------------------------------------------

/** Turns any thrown value into a {@link SerializedError} (causes followed 8 deep). */
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) {
    return { name: "NonError", message: typeof err === "string" ? err : safeString(err) };
  }
  const e = err as Error & { code?: unknown; module?: unknown; details?: unknown };
  const out: SerializedError = { name: e.name, message: e.message };
  if (typeof e.code === "string") out.code = e.code;
  if (typeof e.stack === "string") out.stack = e.stack;
  if (typeof e.module === "string") out.module = e.module;
  if (e.details !== null && typeof e.details === "object") {
    try {
      out.details = JSON.parse(JSON.stringify(e.details)) as Record<string, unknown>;
    } catch {
      // details that cannot be copied are dropped, not the error
    }
  }
  if (e.cause !== undefined && depth < 8) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

/**
 * Rebuilds an error from the other side: an `Error` with the same name, message, code, stack,
 * module, details and cause (a ChipsetError is rebuilt by the caller from `code`, see hosts).
 */
export function deserializeError(s: SerializedError): Error {
  const err = new Error(s.message, s.cause ? { cause: deserializeError(s.cause) } : undefined) as Error & {
    code?: string;
    module?: string;
    details?: Record<string, unknown>;
  };
  err.name = s.name;
  if (s.stack !== undefined) err.stack = s.stack;
  if (s.code !== undefined) err.code = s.code;
  if (s.module !== undefined) err.module = s.module;
  if (s.details !== undefined) err.details = s.details;
  return err;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
