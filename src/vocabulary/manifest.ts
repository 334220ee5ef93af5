/**
 * The manifest and the registry record: the words every layer uses for a module version.
 * Types only; registry/ validates and stores them.
 */
import type { ResourceLimits } from "./resources.js";
import type { CallsConfig } from "./calls.js";
import type { EngineManifest, ReplicasManifest } from "./dispatch.js";
import type { PermissionsSection } from "./permissions.js";
import type { PlacementManifest } from "./placement.js";
import type { TriggerManifest } from "./triggers.js";

/** Where an instance's code runs: this thread, a worker thread, or a child process. */
export type Isolation = "inline" | "worker" | "process";

/** When a module starts: with the runtime, on first use, or when one of the named events fires. */
export type Activation = "eager" | "lazy" | { onEvent: string[] };

/** The lifecycle phases whose hooks have a timeout. */
export type Phase = "load" | "init" | "start" | "pause" | "resume" | "stop";

/** What happens when a module crashes (see supervision/ and DESIGN.md). */
export interface RestartManifest {
  /** `permanent`: restart after any unexpected end; `transient`: only after a crash; `temporary`: never. */
  policy?: "permanent" | "transient" | "temporary";
  /** At most this many restarts within `withinMs`; one more and the module is `failed`. */
  maxRestarts?: number;
  withinMs?: number;
  /** Backoff before the first restart, doubled for each further one up to `maxDelayMs` (with jitter). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** After this much uptime without a crash, backoff starts again from `initialDelayMs`. */
  resetAfterMs?: number;
  /** What happens to this module when one of its dependencies crashes. */
  onDependencyCrash?: "continue" | "stop" | "restart";
}

/**
 * One probe of `probes` (Kubernetes semantics): what is called, every `periodMs`, within
 * `timeoutMs`; `failureThreshold` failures in a row fail it, `successThreshold` passes in a row
 * (readiness only; 1 for the others) pass it again. Exactly one of `method` and `health`.
 */
export interface ProbeManifest {
  /** An api method called with no arguments: passes unless it throws, answers `false`, or answers `{ ok: false }`. */
  method?: string;
  /** `true`: the module's `health()` is the probe (passes on `{ ok: true }`; a module without one passes). */
  health?: true;
  /** Time from the module reaching `running` to the first probe, in ms; default 0. */
  initialDelayMs?: number;
  /** Time between probes, in ms; default 10000. */
  periodMs?: number;
  /** A probe that has not answered after this many ms fails; default 1000. */
  timeoutMs?: number;
  /** Failures in a row that fail the probe; default 3. */
  failureThreshold?: number;
  /** Passes in a row that pass it again after it failed (readiness only); default 1. */
  successThreshold?: number;
}

/** The three probes of a module (see docs/architecture.md, "Probes"). */
export interface ProbesManifest {
  /** Fails: the module is restarted through its supervisor (crash kind `liveness`). */
  liveness?: ProbeManifest;
  /** Fails: the module is out of service (calls go to its fallback or fail with `CHIP_ERR_MODULE_NOT_READY`) until it passes. */
  readiness?: ProbeManifest;
  /** Holds the other two back until it passes; not passed within `failureThreshold × periodMs`: restarted (crash kind `startup`). */
  startup?: ProbeManifest;
}

/** The `chipset` field of a module's package.json. See DESIGN.md for the meaning of each field. */
export interface ChipsetManifest {
  kind: string;
  description?: string;
  keywords?: string[];
  /** Hard dependencies: id -> semver range. */
  requires?: Record<string, string>;
  /** Optional dependencies: used when present and compatible. */
  optional?: Record<string, string>;
  provides?: string[];
  activation?: Activation;
  isolation?: Isolation;
  singleton?: boolean;
  /** JSON Schema for the module's configuration. */
  configSchema?: Record<string, unknown>;
  /** Resource limits and thresholds (see docs/resources.md), plus the sizes below. */
  limits?: ResourceLimits & {
    /** The most a checkpoint may take once serialised, in KiB; default {@link DEFAULT_CHECKPOINT_KB}. */
    checkpointKb?: number;
    /** The most processes and threads of a sandboxed process module; default {@link DEFAULT_PIDS_LIMIT}. */
    pids?: number;
  };
  /** What the module asks for under Node's permission model (process isolation only; see docs/isolation.md). */
  permissions?: PermissionsSection;
  restart?: RestartManifest;
  /** Call policies: timeout, retry, breaker, bulkhead, module-wide and per method (see docs/policies.md). */
  calls?: CallsConfig;
  /** How an update to this version is checked before calls switch to it: calls that must succeed. */
  update?: { verify?: Array<{ method: string; args?: unknown[] }> };
  fallback?: string;
  /** Liveness, readiness and startup probes, run while the module is running. */
  probes?: ProbesManifest;
  /** Per-phase hook timeouts in milliseconds (defaults come from the kind, then the runtime). */
  timeouts?: Partial<Record<Phase, number>>;
  /** Unload after this many milliseconds without calls (overrides the runtime default). */
  idleUnloadMs?: number;
  /** Cron schedules and HTTP routes that call the module (see docs/triggers.md). */
  triggers?: TriggerManifest[];
  /** Several copies behind a dispatcher (worker and process modules; see docs/dispatch.md). */
  replicas?: ReplicasManifest;
  /** Joins its type's engine pool (document 004; see docs/dispatch.md). */
  engine?: EngineManifest;
  /** Which nodes of a cluster may run it, and whether its replicas spread (see docs/dispatch.md). */
  placement?: PlacementManifest;
}

/** A package.json as Chipset reads it: `name` is the module id, `version` its version. */
export interface PackageManifest {
  name: string;
  version: string;
  type?: string;
  main?: string;
  exports?: unknown;
  chipset: ChipsetManifest;
}

/** One registered module version. */
export interface ModuleRecord {
  id: string;
  version: string;
  manifest: ChipsetManifest;
  /** Absolute directory of the installed copy, or undefined for modules registered in code. */
  dir: string | undefined;
  /** Entry file relative to `dir`. */
  entry: string | undefined;
  /** Content digest of the installed files (sha256 hex), or undefined for code modules. */
  digest: string | undefined;
  /** Where the module was added from. */
  source: string;
  /** Milliseconds since epoch. */
  installedAt: number;
}

/** A checkpoint's size limit when the manifest sets none (`limits.checkpointKb`), in KiB: 1 MiB. */
export const DEFAULT_CHECKPOINT_KB = 1024;

/**
 * The most processes and threads a sandboxed process module may have at once when the manifest
 * sets no `limits.pids` (a kernel cgroup limit, where there is one). Node itself takes about a dozen.
 */
export const DEFAULT_PIDS_LIMIT = 256;
