/**
 * One point of a module's resource history: a raw sample (`resolution: "raw"`, `samples` 1,
 * `at` the end of its interval) or a one-minute roll-up (`"minute"`, `at` the minute's start,
 * averages over its `samples` and their maxima). Rates are in bytes per second.
 */
export interface ResourcePoint {
  id: string;
  version: string;
  /** Milliseconds since the epoch. */
  at: number;
  resolution: "raw" | "minute";
  /** How many samples the point stands for. */
  samples: number;
  /** CPU in % of one CPU (average over the point); null where the module's CPU is not attributable. */
  cpuPercent: number | null;
  cpuPercentMax: number | null;
  /** Memory in bytes (a process's RSS, a worker's heap); null for inline modules. */
  memoryBytes: number | null;
  memoryBytesMax: number | null;
  /** Bytes read and written through `node:fs`, per second. */
  diskBps: number;
  diskBpsMax: number;
  /** Bytes received and sent over the network, per second. */
  networkBps: number;
  networkBpsMax: number;
  /**
   * Calls served over the point (raw: its interval; minute: the minute's samples together), a
   * count; null in history written before calls were kept, and for the machine.
   */
  calls: number | null;
  /** Calls that failed by the module's doing over the point, a count; null without anomaly detection (and as `calls`). */
  failures: number | null;
  /** The p99 of the successful calls' latencies, in ms (minute: the average of its samples' p99s); null without calls. */
  p99Ms: number | null;
  /** The highest of the samples' p99s, in ms (raw: the same as `p99Ms`). */
  p99MsMax: number | null;
}
