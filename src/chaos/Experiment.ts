import type { CallsConfig } from "../vocabulary/calls.js";
import type { Fault } from "./faults.js";

/** Calls an experiment drives at one method while it runs. */
export interface LoadSpec {
  /** `module.method`, e.g. `codec.probe` (a scoped id works: `@acme/x.read`). */
  call: string;
  /** Arguments of every call (structured-clonable). Default none. */
  args?: unknown[];
  /** Open loop: this many calls per second, whatever the answers. */
  rate?: number;
  /** Closed loop: this many callers, each calling again as soon as it is answered. */
  concurrency?: number;
}

/** A fault and when it is in place, relative to the start of the fault phase (in ms). */
export type ScheduledFault = Fault & {
  /** When it begins. Default 0. */
  startMs?: number;
  /** When it ends. Default the end of the fault phase. */
  endMs?: number;
  /** `crash` only: crash the host every this many ms from `startMs` (instead of on calls). */
  everyMs?: number;
};

/** A figure measured over one phase of an experiment. */
export type MetricName =
  /** Calls answered with a value (by the module or its fallback) / calls. */
  | "successRate"
  /** Calls answered by a fallback / calls. */
  | "fallbackRate"
  /** Calls in the phase (with `code`: calls that failed with it). */
  | "count"
  /** Latency percentiles and maximum, in ms (with `code`: of the calls that failed with it). */
  | "p50Ms"
  | "p95Ms"
  | "p99Ms"
  | "maxMs"
  /** `breaker.opened` events in the phase. */
  | "breakerOpened"
  /** Restarts after crashes in the phase. */
  | "restarts"
  /** Crashes in the phase. */
  | "crashes"
  /** `module.anomaly` events that began in the phase. */
  | "anomalies";

/** One check of a steady-state hypothesis: a metric, optionally narrowed, and its bound. */
export interface HypothesisCheck {
  metric: MetricName;
  /** Only calls of this load (`module.method`); default every load. */
  call?: string;
  /** Only calls that failed with this code (for `count` and the latency metrics). */
  code?: string;
  /** Only events of this module (for `breakerOpened`, `restarts`, `crashes`, `anomalies`). */
  module?: string;
  min?: number;
  max?: number;
}

/** A check of the breaker's state at the end of a phase. */
export interface BreakerCheck {
  breaker: { module: string; method?: string };
  /** The state it must be in. */
  state: "closed" | "open" | "half-open" | "isolated";
}

/** What the hypothesis checks, phase by phase. `steadyState` applies to `before` and `after`. */
export interface Hypothesis {
  steadyState?: Array<HypothesisCheck | BreakerCheck>;
  before?: Array<HypothesisCheck | BreakerCheck>;
  during?: Array<HypothesisCheck | BreakerCheck>;
  after?: Array<HypothesisCheck | BreakerCheck>;
}

/** Something to do after the experiment, whatever happened (faults are always removed first). */
export type Rollback =
  | { action: "restart"; module: string }
  | { action: "start"; module: string }
  | { action: "resume"; module: string }
  | { action: "reset-policies"; module: string };

/**
 * A chaos experiment, as a JSON or YAML file: drive `load`, check the hypothesis over a
 * steady `before` phase, inject the faults for `durationMs`, then check it again over an
 * `after` phase, and roll back.
 */
export interface Experiment {
  name: string;
  description?: string;
  /** Seed of every random draw (faults and their percentages). Default 1. */
  seed?: number;
  /** Length of the fault phase, in ms. */
  durationMs: number;
  /** Length of the steady phases before and after, in ms. Default 1 000. */
  steadyMs?: number;
  /** Modules to bring up before the `before` phase (their dependencies come too). */
  start?: string[];
  load: LoadSpec[];
  /** Call policies set for the experiment (as `runtime.policies.set`), reset afterwards. */
  policies?: Record<string, CallsConfig>;
  faults: ScheduledFault[];
  hypothesis: Hypothesis;
  rollbacks?: Rollback[];
}
