import type { LimitAction, ResourceName, ResourceSample } from "../vocabulary/resources.js";

/** What a threshold or limit event says: the module, the resource, the figure and the bound, in the unit named. */
export interface ResourceBound {
  id: string;
  /** Which replica, for every replica of a replicated module but the first. */
  replica?: number;
  version: string;
  resource: ResourceName;
  /** The sampled figure, in `unit`. */
  value: number;
  /** The limit (manifest `limits`, or the config's), in `unit`. */
  limit: number;
  /** `MB` (memory), `%` (of one CPU), `MB/min` (disk and network). */
  unit: "MB" | "%" | "MB/min";
}

/** The payload of `resources.sampled`: one sampling round. */
export interface ResourcesSampled {
  /** When the round was read, in ms since the epoch (every sample's `at`). */
  at: number;
  samples: readonly ResourceSample[];
}

/** The resource events (`runtime.on(name, fn)`). */
export interface ResourceEvents {
  /**
   * A module's figure crossed `warnAt` of its limit (`active` true), or came back below it with
   * some margin (`active` false). Debounced: once per crossing, not once per sample.
   */
  "resource.warning": ResourceBound & { threshold: number; active: boolean };
  /** A module held a limit for two samples in a row; `action` is what was done about it. */
  "resource.limit": ResourceBound & { action: LimitAction };
  /**
   * A sampling round (every `resources.sampleMs`): one sample per loaded instance that has two
   * readings, with its resources and its calls over the interval. Emitted only while someone
   * listens (the event stream of a served host does).
   */
  "resources.sampled": ResourcesSampled;
}
