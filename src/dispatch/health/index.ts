// The health and ejection layer of a pool (docs/dispatch.md, "Health states and ejection").
export { CallWindow } from "./CallWindow.js";
export {
  healthDefaults,
  healthWindow,
  resolveHealthSettings,
  type ResolvedHealthSettings,
} from "./healthSettings.js";
export { OutlierDetector, type EjectionCause, type OutlierEvent } from "./OutlierDetector.js";
export {
  PoolHealth,
  type MemberHealthSnapshot,
  type PoolHealthEvent,
  type PoolHealthSnapshot,
  type ReplicaHealthEvent,
} from "./PoolHealth.js";
export {
  ReplicaHealth,
  type CallFailure,
  type HealthChange,
  type ReplicaHealthOptions,
} from "./ReplicaHealth.js";
export { successRateThreshold, type SuccessRateThreshold } from "./successRate.js";
