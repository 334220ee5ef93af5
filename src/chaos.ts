/**
 * Chipset's chaos tools (`import { chaosOf } from "chipset/chaos"`): fault injection into a
 * runtime's calls and hosts, experiments checked before, during and after their faults, and
 * bisection to find the module that makes a runtime unstable. A tool layer above the runtime: a
 * host application needs none of it.
 */
export { chaosOf } from "./chaos/chaosOf.js";
export type { ChaosEngine, FaultHandle, FaultCount } from "./chaos/ChaosEngine.js";
export {
  seededRandom,
  type Fault,
  type FaultKind,
  type FaultTarget,
  type Latency,
  type FaultHook,
} from "./chaos/faults.js";
export type {
  Experiment,
  LoadSpec,
  ScheduledFault,
  Hypothesis,
  HypothesisCheck,
  BreakerCheck,
  MetricName,
  Rollback,
} from "./chaos/Experiment.js";
export { runExperiment, type RunOptions } from "./chaos/ExperimentRunner.js";
export { readExperiment, validateExperiment } from "./chaos/readExperiment.js";
export {
  describeReport,
  type ExperimentReport,
  type PhaseReport,
  type CheckResult,
} from "./chaos/experimentReport.js";
export { bisect } from "./chaos/bisect.js";
export { type BisectResult, type BisectTrial, type BisectVerdict } from "./chaos/BisectTypes.js";
export { healthTrial, type HealthCheck, type HealthCall } from "./chaos/healthTrial.js";
