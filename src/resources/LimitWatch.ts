import {
  sampleKey,
  type LimitAction,
  type ResourceLimits,
  type ResourceName,
  type ResourceSample,
} from "../vocabulary/resources.js";
import type { ResourceBound, ResourceEvents } from "./ResourceEvents.js";

/** The fraction of a limit at which `resource.warning` is emitted when `limits.warnAt` is not set. */
export const DEFAULT_WARN_AT = 0.8;
/**
 * A warning ends when its figure falls below this fraction of the threshold (90%: a module
 * warned at 80 MB is clear again below 72 MB), so a figure hovering at the threshold warns once.
 */
export const WARNING_CLEARS_AT = 0.9;
/** A limit must be exceeded by this many consecutive samples before its action is taken. */
export const HELD_SAMPLES = 2;

const MB = 1024 * 1024;

/** One figure a limit holds: its name in `limits`, its unit, and how to read it from a sample. */
interface Figure {
  resource: ResourceName;
  limit: "memoryMb" | "cpuPercent" | "diskMbPerMin" | "networkMbPerMin";
  unit: ResourceBound["unit"];
  /** The figure in `unit`; null where the sample cannot attribute it (an inline module's memory). */
  read(sample: ResourceSample): number | null;
}

const FIGURES: readonly Figure[] = [
  {
    resource: "memory",
    limit: "memoryMb",
    unit: "MB",
    read: (s) => (s.memoryBytes === null ? null : s.memoryBytes / MB),
  },
  { resource: "cpu", limit: "cpuPercent", unit: "%", read: (s) => s.cpuPercent },
  {
    resource: "disk",
    limit: "diskMbPerMin",
    unit: "MB/min",
    read: (s) => ((s.fsReadBps + s.fsWriteBps) * 60) / MB,
  },
  {
    resource: "network",
    limit: "networkMbPerMin",
    unit: "MB/min",
    read: (s) => ((s.netInBps + s.netOutBps) * 60) / MB,
  },
];

/** What {@link LimitWatch} decided on one round: the events to emit, in order. */
export type LimitDecision =
  | { event: "resource.warning"; payload: ResourceEvents["resource.warning"] }
  | { event: "resource.limit"; payload: ResourceEvents["resource.limit"] };

/** Where one figure of one module stands. */
interface FigureState {
  /** A warning is active (emitted with `active: true`, not yet cleared). */
  warned: boolean;
  /** Consecutive samples above the limit. */
  over: number;
  /** The limit's event was emitted for the current run of samples above it. */
  fired: boolean;
}

interface ModuleState {
  /** `at` of its last sample: the next one continues the run when its interval starts there. */
  lastAt: number;
  figures: Map<ResourceName, FigureState>;
}

/**
 * A module's limits: each field of its manifest's `limits` over the same field of the config's
 * `resources.limits` (a manifest that sets `cpuPercent` alone keeps the config's `memoryMb`).
 */
export function effectiveLimits(
  manifest: ResourceLimits | undefined,
  defaults: ResourceLimits,
): ResourceLimits {
  const out: ResourceLimits = {};
  for (const field of [
    "memoryMb",
    "cpuPercent",
    "diskMbPerMin",
    "networkMbPerMin",
    "warnAt",
    "action",
  ] as const) {
    const value = manifest?.[field] ?? defaults[field];
    if (value !== undefined) (out as Record<string, unknown>)[field] = value;
  }
  return out;
}

/**
 * Checks each round of samples against each module's limits and decides the events, without
 * side effects: `resource.warning` (active) once when a figure reaches `warnAt × limit`, and
 * (inactive) once when it falls below {@link WARNING_CLEARS_AT} of that threshold; and
 * `resource.limit` once when the figure stays above the limit for {@link HELD_SAMPLES}
 * consecutive samples of one load of the module (a run ends at a sample at or below the limit,
 * or when the module is loaded afresh, as after a restart). A null figure is not checked.
 * Time is the samples' own (`at`, `intervalMs`): no clock is needed.
 */
export class LimitWatch {
  private readonly modules = new Map<string, ModuleState>();

  /** @param limitsOf the effective limits of `id@version` (see {@link effectiveLimits}); undefined or empty: none. */
  constructor(private readonly limitsOf: (id: string, version: string) => ResourceLimits | undefined) {}

  /** Takes one round of samples; returns the events it calls for. */
  observe(samples: readonly ResourceSample[]): LimitDecision[] {
    const decisions: LimitDecision[] = [];
    for (const sample of samples) {
      const limits = this.limitsOf(sample.id, sample.version);
      const key = sampleKey(sample);
      let mod = this.modules.get(key);
      // The sampler's intervals of one load follow each other exactly; a gap is a new load.
      const continues = mod !== undefined && sample.at - sample.intervalMs === mod.lastAt;
      if (mod === undefined) {
        mod = { lastAt: sample.at, figures: new Map() };
        this.modules.set(key, mod);
      }
      mod.lastAt = sample.at;
      if (limits === undefined) continue;
      for (const figure of FIGURES) {
        const limit = limits[figure.limit];
        const value = figure.read(sample);
        if (limit === undefined || value === null) continue;
        let state = mod.figures.get(figure.resource);
        if (state === undefined) {
          state = { warned: false, over: 0, fired: false };
          mod.figures.set(figure.resource, state);
        }
        if (!continues) {
          state.over = 0;
          state.fired = false;
        }
        const bound: ResourceBound = {
          id: sample.id,
          version: sample.version,
          ...(sample.replica === undefined ? {} : { replica: sample.replica }),
          resource: figure.resource,
          value,
          limit,
          unit: figure.unit,
        };
        const threshold = (limits.warnAt ?? DEFAULT_WARN_AT) * limit;
        if (!state.warned && value >= threshold) {
          state.warned = true;
          decisions.push({ event: "resource.warning", payload: { ...bound, threshold, active: true } });
        } else if (state.warned && value < threshold * WARNING_CLEARS_AT) {
          state.warned = false;
          decisions.push({ event: "resource.warning", payload: { ...bound, threshold, active: false } });
        }
        if (value <= limit) {
          state.over = 0;
          state.fired = false;
          continue;
        }
        state.over++;
        if (state.over >= HELD_SAMPLES && !state.fired) {
          state.fired = true;
          const action: LimitAction = limits.action ?? "warn";
          decisions.push({ event: "resource.limit", payload: { ...bound, action } });
        }
      }
    }
    return decisions;
  }

  /** Forgets `id@version` and its replicas (it left the registry). */
  forget(id: string, version: string): void {
    const key = `${id}@${version}`;
    for (const known of [...this.modules.keys()])
      if (known === key || known.startsWith(`${key}#`)) this.modules.delete(known);
  }
}
