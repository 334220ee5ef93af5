/**
 * Replicas, engine pools and the dispatcher (see docs/dispatch.md): the manifest's `replicas` and
 * `engine` sections, what a call asks of the dispatcher, and what the dispatcher sees of each
 * replica. Shared by the registry (validation), dispatch/ (strategies, health, ejection), scaling/
 * (autoscaling) and the runtime that wires them.
 */

/** The dispatch strategies Chipset ships (document 004's five, consistent hashing and the weighted score). */
export const builtInStrategies = [
  "round_robin",
  "least_loaded",
  "weighted_random",
  "capability",
  "affinity",
  "consistent_hash",
  "score",
] as const;

/** A built-in strategy's name. Applications register more (`runtime.dispatch.registerStrategy`). */
export type BuiltInStrategy = (typeof builtInStrategies)[number];

/** A replica's health, as document 004 names the states. */
export const healthStates = ["unknown", "healthy", "degraded", "unhealthy", "recovering"] as const;

/**
 * `unknown`: no data yet; `healthy`; `degraded`: over its latency or error-rate threshold, still
 * serving with a lower weight; `unhealthy`: failure threshold reached (or ejected), out of
 * rotation; `recovering`: after a restart, until its success threshold is met.
 */
export type HealthState = (typeof healthStates)[number];

/**
 * When a replica changes health, and how ejection works. Defaults come from Kubernetes probes and
 * Envoy's outlier detection; each is documented where it is applied (dispatch/).
 */
export interface HealthSettings {
  /** Consecutive failed calls or probes that make a replica `unhealthy` (Envoy consecutive_5xx: 5). */
  failureThreshold?: number;
  /** Consecutive successes that bring a `recovering` replica back to `healthy` (default 3). */
  successThreshold?: number;
  /** Mean call time, in ms, over which a replica is `degraded` (default: off). */
  degradedLatencyMs?: number;
  /** Share of failed calls in the window over which a replica is `degraded` (0 to 1; default 0.2). */
  degradedErrorRate?: number;
  /** Weight factor of a `degraded` replica, 0 to 1 (default 0.5). */
  degradedWeight?: number;
  /** How often success rates are compared across replicas, in ms (Envoy interval: 10000). */
  intervalMs?: number;
  /** First ejection time, in ms; the n-th ejection lasts n times this (Envoy base_ejection_time: 30000). */
  baseEjectionMs?: number;
  /** Longest ejection, in ms (Envoy max_ejection_time: 300000). */
  maxEjectionMs?: number;
  /** Most replicas ejected at once, percent, counted after the new ejection (Envoy max_ejection_percent: 10; at least one). */
  maxEjectedPercent?: number;
  /** Calls a replica needs in the interval for its success rate to count (Envoy success_rate_request_volume: 100). */
  successRateRequestVolume?: number;
  /** Replicas with enough calls needed before success rates are compared (Envoy success_rate_minimum_hosts: 5). */
  successRateMinimumHosts?: number;
  /** Ejected below mean - factor x stdev of the success rates (Envoy success_rate_stdev_factor 1900 / 1000: 1.9). */
  successRateStdevFactor?: number;
  /** Below this percentage of healthy replicas the pool is in panic: every replica serves (Envoy healthy_panic_threshold: 50). */
  panicThreshold?: number;
  /**
   * Memory samples in a row that rise before a replica is drained and restarted (default 60: a
   * minute of steady growth at the default sampling; a busy replica's heap rises for a few seconds
   * at a time as it warms up; 0: off).
   */
  memoryRiseSamples?: number;
}

/** One autoscaling policy: at most `value` replicas (or percent of the current count) per `periodMs`. */
export interface ScalingPolicy {
  type: "replicas" | "percent";
  value: number;
  periodMs: number;
}

/** How fast one direction may scale (Kubernetes HPA `behavior.scaleUp` / `scaleDown`). */
export interface ScalingRules {
  /** The decision is the highest (down) or lowest (up) recommendation in this window, in ms. */
  stabilizationWindowMs?: number;
  policies?: ScalingPolicy[];
  /** Which policy wins when several allow different changes (default `max`); `disabled` never scales this way. */
  selectPolicy?: "max" | "min" | "disabled";
  /** No change in this direction for this long after the last change, in ms. */
  cooldownMs?: number;
}

/** The metric autoscaling holds at its target, per replica. */
export type AutoscaleMetric = "inflight" | "cpu" | "elu" | "queue";

/** `replicas.autoscale`: Kubernetes HPA's rule over one metric. */
export interface AutoscaleSettings {
  metric: AutoscaleMetric;
  /** The metric's target per replica: calls in flight, CPU percent, event-loop utilisation 0-1, or queued calls. */
  target: number;
  /** No change while current / target is within 1 ± tolerance (default 0.1). */
  tolerance?: number;
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
  /** Most changes of direction (up then down, or down then up) within `windowMs` before scaling holds still. */
  flapBudget?: { changes: number; windowMs: number };
}

/** Consistent hashing's settings. */
export interface HashSettings {
  /** `ring` (ketama-style ring hash) or `maglev` (Maglev lookup table). Default `ring`. */
  algorithm?: "ring" | "maglev";
  /** Bounded load: no replica takes more than this factor x the mean in-flight calls (default 1.25; 0: unbounded). */
  loadFactor?: number;
}

/** The manifest's `replicas` section (worker and process modules). */
export interface ReplicasManifest {
  /** Replicas started with the module, and the fewest it scales down to (default 1). */
  min?: number;
  /** The most replicas (default: `min`, or the CPUs the host may use when autoscaling). */
  max?: number;
  /** How a call picks a replica (default `round_robin`). */
  strategy?: string;
  hash?: HashSettings;
  /**
   * Which argument of a call (0: the first) is its key for `consistent_hash` and `affinity`: calls
   * with the same key go to the same replica. A string or number is used as it is, anything else
   * as its JSON text. Without it, calls through `use()` carry no key.
   */
  keyArg?: number;
  /** least_loaded: Envoy's active_request_bias for unequal weights (default 1). */
  activeRequestBias?: number;
  health?: HealthSettings;
  autoscale?: AutoscaleSettings;
  /** How long a replica leaving (scaled down, drained) may finish its calls, in ms (default 30000). */
  drainTimeoutMs?: number;
}

/** The manifest's `engine` section: the module joins its type's pool (document 004). */
export interface EngineManifest {
  /** The pool: `wasm`, `onnx`, or any lowercase name. */
  type: string;
  capabilities?: string[];
  /** Labels a request may prefer (affinity), such as `{ "zone": "a" }`. */
  labels?: Record<string, string>;
  performance?: {
    /** Relative share of calls (default 1). */
    weight?: number;
    /** Calls at once it is sized for: the score's load factor is (max - current) / max (default 16). */
    maxConcurrent?: number;
  };
  /** WebAssembly engines: per-call time limit in ms (default 1000) and memory cap in MiB (default 64). */
  wasm?: { timeLimitMs?: number; memoryMb?: number };
}

/** What a call asks of the dispatcher (document 004's ExecutionRequest). */
export interface DispatchRequest {
  /** The engine type the call needs (a hard filter). */
  type?: string;
  /** Capabilities the chosen engine must have (capability strategy: filter; score: 25% factor). */
  capabilities?: readonly string[];
  /** The key calls are hashed or kept sticky by (consistent_hash, affinity). */
  key?: string;
  /** Labels preferred (affinity): a candidate with all of them scores 1, with none 0. */
  labels?: Readonly<Record<string, string>>;
  /** A strategy for this request only. */
  strategy?: string;
}

/**
 * A replica or engine instance as the dispatcher sees it. The runtime keeps one per instance and
 * updates its fields in place (no allocation per call); strategies read them.
 */
export interface Candidate {
  /** The instance's address, `id@version#replica`. */
  readonly key: string;
  /** The module id. */
  readonly module: string;
  /** The engine type (manifest `engine.type`), if the module declares one. */
  readonly engineType: string | undefined;
  readonly capabilities: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** Configured weight (`engine.performance.weight`, default 1). */
  readonly weight: number;
  /** Calls at once it is sized for (score's load factor). */
  readonly maxConcurrent: number;
  /** Weight after health: degraded and slow replicas get less. Strategies weigh by this. */
  effectiveWeight: number;
  /** Calls in flight now. */
  inflight: number;
  /** Mean call time in ms (moving average), undefined before its first call. */
  meanMs: number | undefined;
  health: HealthState;
}

/**
 * Document 004's manager settings (`ManagerConfig`), the options' and the config file's `dispatch`
 * section: how `runtime.execute` picks and queues.
 */
export interface DispatchSettings {
  /** The strategy a request that names none is picked by (default `score`, document 004's weighted score). */
  strategy: string;
  /** The engine type a request that names none asks for (default: none, any engine). */
  defaultEngineType: string | undefined;
  /** Most engine instances live at once: `runtime.execute` starts no more (default 0: no limit). */
  maxEngines: number;
  /** Longest a pool's modules may take to start for `runtime.execute`, in ms (default 30000). */
  startTimeoutMs: number;
  /** Longest a replica or engine leaving may take to finish its calls, in ms, unless its manifest's `replicas.drainTimeoutMs` says (default 30000). */
  stopTimeoutMs: number;
  /** Calls `runtime.execute` holds per pool while every engine in rotation is at its `maxConcurrent` (default 1000; 0: refused at once). */
  maxQueue: number;
  /** Longest a `runtime.execute` call may take, its wait in the queue included, in ms (default 0: none beyond the module's own policies). */
  requestTimeoutMs: number;
}

/** {@link DispatchSettings}' defaults. */
export const dispatchDefaults: DispatchSettings = {
  strategy: "score",
  defaultEngineType: undefined,
  maxEngines: 0,
  startTimeoutMs: 30_000,
  stopTimeoutMs: 30_000,
  maxQueue: 1000,
  requestTimeoutMs: 0,
};
