// The health and ejection layer of a pool (docs/dispatch.md, "Health states and ejection"):
// what runtime/ imports (a concept folder's subfolders are its internals, see `npm run deps`).
export {
  healthDefaults,
  healthWindow,
  resolveHealthSettings,
  type ResolvedHealthSettings,
} from "./health/healthSettings.js";
export { OutlierDetector, type EjectionCause, type OutlierEvent } from "./health/OutlierDetector.js";
export {
  PoolHealth,
  type MemberHealthSnapshot,
  type PoolHealthEvent,
  type PoolHealthSnapshot,
  type ReplicaHealthEvent,
} from "./health/PoolHealth.js";
export {
  ReplicaHealth,
  type CallFailure,
  type HealthChange,
  type ReplicaHealthOptions,
} from "./health/ReplicaHealth.js";
export { successRateThreshold, type SuccessRateThreshold } from "./health/successRate.js";
