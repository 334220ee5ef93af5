import type { ChipsetError } from "../errors/ChipsetError.js";
import type { HostInfo } from "../vocabulary/hosts.js";
import type { HealthState } from "../vocabulary/dispatch.js";
import type { LifecycleCommand, LifecycleState } from "../vocabulary/lifecycle.js";
import type { PolicyEvents } from "../policies/PolicyEvents.js";
import type { AnomalyEvent } from "../monitoring/AnomalyDetector.js";
import type { ProbeEvents, SupervisionEvents } from "../supervision/SupervisionEvents.js";
import type { DownAtShutdown } from "./shutdown.js";
import type { TriggerEvents } from "../triggers/TriggerEvents.js";
import type { ResourceEvents } from "../resources/ResourceEvents.js";
import type { ReportEvents } from "../resources/ReportEvents.js";

/** Identifies the instance an event is about. */
export interface ModuleRef {
  id: string;
  version: string;
  /** Which replica, for every replica of a replicated module but the first (see docs/dispatch.md). */
  replica?: number;
}

/**
 * Why an instance was unloaded; `exited`: it ended its own host with exit code 0 and its restart
 * policy (`transient`, `temporary`) does not bring it back (the next call loads it again).
 */
export type UnloadReason = "request" | "idle" | "shutdown" | "exited" | "update" | "scaled" | "recycled";

/** What every update event says: the module, the version it served and the one it goes to, and the time since the update began (ms). */
export interface UpdateEvent {
  id: string;
  from: string | null;
  to: string | null;
  durationMs: number;
}

/** Every event the runtime emits, by name (`runtime.on(name, fn)`); the call policies' and supervision's too. */
export interface RuntimeEvents
  extends PolicyEvents, SupervisionEvents, ProbeEvents, TriggerEvents, ResourceEvents, ReportEvents {
  /** A module version entered the catalogue (from a directory or from code). */
  "module.registered": ModuleRef & { source: string; status: "added" | "replaced" | "unchanged" };
  /** A directory found at start-up was rejected (bad manifest); the others still register. */
  "module.rejected": { dir: string; error: ChipsetError };
  /** One version, or every version, left the registry. */
  "module.removed": { id: string; version?: string };
  /** Every successful state change, with the time the phase took in ms. */
  "module.state": ModuleRef & {
    command: LifecycleCommand;
    from: LifecycleState;
    to: LifecycleState;
    durationMs: number;
  };
  /** Code was brought in (`preload` when idle time did it ahead of use). */
  "module.loaded": ModuleRef & { durationMs: number; preload: boolean };
  /** The module reached `running`. */
  /** The module reached `running`; `host` says where it runs (pid, and thread id for a worker). */
  "module.started": ModuleRef & { durationMs: number; host: HostInfo };
  /** The module reached `stopped`. */
  "module.stopped": ModuleRef & { durationMs: number };
  /** The module went back to `registered`. */
  "module.unloaded": ModuleRef & { reason: UnloadReason };
  /** A transition failed; `state` is where it rolled back to. */
  "module.failed": ModuleRef & { command: LifecycleCommand; error: ChipsetError; state: LifecycleState };
  /** An inline module kept the event loop busy for `durationMs` in one synchronous stretch of `method`. */
  "module.stalled": ModuleRef & { method: string; durationMs: number; suggestion: string };
  /**
   * A module's latency, error rate (per method) or heap trend left its baseline and stayed out
   * (`active` true), or came back (`active` false). Debounced both ways: no alert storms.
   */
  "module.anomaly": AnomalyEvent;
  /**
   * A replica's health changed (`unknown`, `healthy`, `degraded`, `unhealthy`, `recovering`; see
   * docs/dispatch.md), with the reason; `action` `drain-and-restart` when its memory kept rising.
   */
  "replica.health": ModuleRef & {
    replica: number;
    from: HealthState;
    to: HealthState;
    reason: string;
    action?: "drain-and-restart";
  };
  /**
   * A replica was ejected (out of rotation for `durationMs`, its `timesEjected`-th time running),
   * returned, or could not be ejected (the last one serving, or the most ejected at once); or its
   * module's pool went into panic (`active`: too few healthy, every replica serves) or out of it.
   */
  "replica.ejection": ModuleRef & {
    event: "ejected" | "returned" | "ejection-refused" | "panic";
    reason: string;
    active?: boolean;
    durationMs?: number;
    timesEjected?: number;
  };
  /** How many replicas of a module run changed: `from` and `to` counts, and why (`requested`, or the autoscaler's reason). */
  "replicas.scaled": ModuleRef & { from: number; to: number; reason: string };
  /** An application `after:` hook failed (the transition stands). */
  "hook.failed": ModuleRef & { command: LifecycleCommand; error: ChipsetError };
  /** One module of a batch load finished (`ok` false with `error` when it failed). */
  "load.progress": ModuleRef & {
    task: number;
    done: number;
    total: number;
    ok: boolean;
    error?: ChipsetError;
  };
  /** `runtime.start()` finished: eager modules are running. */
  "runtime.started": { durationMs: number; eager: string[] };
  /** Shutdown finished: what became of each module (see `ShutdownReport`). */
  "runtime.stopped": {
    durationMs: number;
    stopped: string[];
    failed: Array<{ id: string; error: ChipsetError }>;
    down: DownAtShutdown[];
  };
  /**
   * A version of a module newer than every installed one is there to update to, seen for the
   * first time: `to` is the highest within `^from` (or the application's `use` range) or the
   * highest of all; `source` is the module directory or the registry packument's URL;
   * `durationMs` is how long the check took. Each `id@to` is announced once per runtime.
   */
  "update.available": UpdateEvent & { source: string };
  /**
   * A check for new versions finished (on the interval, after the automatic updates it started;
   * or `checkUpdates()`): how long it took (ms), the ids with a newer version, and how many sources failed.
   */
  "update.checked": { durationMs: number; outdated: string[]; failures: number };
  /** `runtime.update` began (`to` is the range asked for, if any, until the version is known). */
  "update.started": UpdateEvent;
  /** Calls now go to the new version; `gateMs` is how long calls waited at the old one's gate. */
  "update.switched": UpdateEvent & { gateMs: number };
  /** The new version serves, the old one is retired (or, for a module not loaded, the new version is installed). */
  "update.completed": UpdateEvent;
  /** The update did not happen: the old version serves; `step` is where it stopped. */
  "update.failed": UpdateEvent & { step: string; error: ChipsetError };
  /** The new version was taken back after the switch (`reason`: why), or `rollback()` was asked for (`"requested"`). */
  "update.rolled-back": UpdateEvent & { reason: string };
  /** Something went wrong outside any caller's reach (a listener, preload, a background flush). */
  "runtime.error": { context: string; error: unknown };
}

/** The name of a runtime event. */
export type RuntimeEventName = keyof RuntimeEvents;
