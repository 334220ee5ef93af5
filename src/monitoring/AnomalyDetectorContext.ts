import type { Clock } from "../common/Clock.js";
import type { AnomalySettings } from "./AnomalyDetectorSettings.js";

/** What `module.anomaly` carries. `active` true when it begins, false when it ends (hysteresis). */
export interface AnomalyEvent {
  id: string;
  version: string;
  /** Absent for memory (a module-wide figure). */
  method?: string;
  metric: "latency" | "error-rate" | "memory";
  active: boolean;
  /** The recent figure (ms for latency, 0..1 for error rate, MB/min for memory). */
  observed: number;
  /** The baseline it is compared with (same unit; for memory 0). */
  baseline: number;
  /**
   * The value `observed` had to exceed for the anomaly to begin (also on the event that ends it,
   * which comes once `observed` stayed below half-way between `baseline` and `threshold`).
   */
  threshold: number;
  unit: "ms" | "ratio" | "MB/min";
  /** Samples behind the baseline (memory: readings in the window). */
  samples: number;
  /** Memory only: the fitted heap growth over the window, in MB. */
  growthMb?: number;
}

/** An anomaly in progress, as {@link AnomalyDetector.snapshot} shows it. */
export interface AnomalyState {
  metric: AnomalyEvent["metric"];
  /** When it began, on the detector's clock (ms). */
  since: number;
  /** The current figures, as in {@link AnomalyEvent}. */
  observed: number;
  baseline: number;
  threshold: number;
  unit: AnomalyEvent["unit"];
}

/** What every series shares with its detector. */
export interface AnomalyDetectorContext {
  readonly clock: Clock;
  readonly emit: (event: AnomalyEvent) => void;
  readonly settings: Readonly<AnomalySettings>;
}
