/** Chipset's host API: create a runtime, register and use modules, watch events. */
export { createRuntime } from "./runtime/createRuntime.js";
export type { Runtime, ControlOptions, InstanceSummary } from "./runtime/Runtime.js";
export type { ReplicaSetView, ScaleResult } from "./runtime/Replicas.js";
export type { EngineMember, EnginePool } from "./runtime/Engines.js";
export type {
  HealthCheck,
  HealthCheckOptions,
  HealthCheckResult,
  HealthCheckTarget,
} from "./runtime/HealthChecks.js";
export type {
  DispatchExplanation,
  DispatchStrategy,
  StrategyFactory,
  StrategySettings,
} from "./dispatch/strategies.js";
export type {
  Candidate,
  DispatchRequest,
  EngineManifest,
  HealthState,
  ReplicasManifest,
} from "./vocabulary/dispatch.js";
export type { CallInterceptor, InterceptedCall, InterceptedTarget } from "./runtime/CallInterceptor.js";
export type { LoadReport, LoadTask } from "./runtime/Loader.js";
export type { RuntimeOptions } from "./runtime/RuntimeOptions.js";
export type { ResourceSettings } from "./runtime/RuntimeOptions.js";
export type { ResourceQueries, InstanceUsage } from "./runtime/Resources.js";
export type { SystemFigures } from "./resources/SystemMeter.js";
export type {
  EnvironmentReport,
  EnvironmentVerdicts,
  MachineVerdict,
  Verdict,
  Evidence,
  Capability,
  CapabilityMatrix,
  AdaptedDefault,
  AdaptedDefaults,
  DefaultSource,
} from "./environment/EnvironmentReport.js";
export { detectEnvironment, type DetectOptions } from "./environment/detectEnvironment.js";
export type { ProcessFacts } from "./environment/capabilities.js";
export { adaptDefaults, replicasMaxDefault, type ExplicitSettings } from "./environment/adaptDefaults.js";
export type {
  ResourceReport,
  ModuleResourceReport,
  MachineResourceReport,
  TopConsumer,
  IncidentCount,
} from "./resources/ResourceReport.js";
export type { ResourceStats } from "./resources/resourceStats.js";
export type { ResourcePoint } from "./resources/ResourcePoint.js";
export type { HistoryPeriod, ReportOptions } from "./runtime/ResourceReports.js";
export type { ResourceBound, ResourceEvents, ResourcesSampled } from "./resources/ResourceEvents.js";
export type {
  UsageCounters,
  ResourceSample,
  ResourceLimits,
  ResourceName,
  LimitAction,
} from "./vocabulary/resources.js";
export type { RuntimePhase } from "./runtime/RuntimeState.js";
export type { RuntimeEvents, RuntimeEventName, ModuleRef, UnloadReason } from "./runtime/RuntimeEvents.js";
export type { ModuleSummary, ModuleInfo, DependencyInfo, DependencyTree } from "./runtime/RuntimeQueries.js";
export type { VersionWhy, VersionReason, RejectedVersion } from "./runtime/whyVersion.js";
export type { VersionRule } from "./runtime/Activator.js";
export type {
  CanaryOptions,
  CanaryReport,
  CanarySample,
  UpdateOptions,
  UpdateReport,
  UpdateStep,
  UpdateStrategy,
} from "./runtime/updateReport.js";
export type { RequestedOutcome, UpdateRequestOptions } from "./runtime/requestUpdate.js";
export type { RequestedUpdate, UpdateAction } from "./registry/UpdateRequests.js";
export type { ActiveVersion, ActiveReason } from "./registry/ActiveVersions.js";
export type { OutdatedModule, UpdateCheckFailure, UpdateCheckReport } from "./runtime/findUpdates.js";
export type { CheckUpdatesOptions } from "./runtime/UpdateWatcher.js";
export type { ModuleOutcome } from "./runtime/Activator.js";
export type { DownAtShutdown, ShutdownReport } from "./runtime/shutdown.js";
export type { KindDefinition, KindDefaults } from "./registry/KindRegistry.js";
export type { AppHook, HookEvent, HookPoint, HookScope } from "./lifecycle/HookRegistry.js";
export type { LifecycleState, LifecycleCommand } from "./vocabulary/lifecycle.js";
export type { HostFault, HostInfo, CrashKind } from "./vocabulary/hosts.js";
export type {
  ChipsetManifest,
  PackageManifest,
  ModuleRecord,
  Activation,
  Isolation,
  Phase,
} from "./vocabulary/manifest.js";
export type { ScanReport } from "./registry/scanModuleDirs.js";
export type {
  CallsConfig,
  PolicyConfig,
  RetryConfig,
  BreakerConfig,
  BulkheadConfig,
} from "./vocabulary/calls.js";
export type { MethodPolicy } from "./policies/CallsConfig.js";
export { policyDefaults } from "./policies/CallsConfig.js";
export type { FallbackHandler, BreakerSnapshot } from "./policies/PolicyBook.js";
export type { PolicyEvents, PolicyRef } from "./policies/PolicyEvents.js";
export type { BreakerStateName, OpenReason } from "./policies/CircuitBreaker.js";
export type { RuntimePolicies } from "./runtime/RuntimePolicies.js";
export type { CallObserver, CallOutcome } from "./runtime/CallObserver.js";
export type { ErrorQueries, AnomalyOptions } from "./runtime/Monitoring.js";
export type { ErrorEntry, ErrorCounts } from "./monitoring/ErrorMonitor.js";
export {
  anomalyDefaults,
  type AnomalyEvent,
  type AnomalySettings,
  type AnomalySnapshot,
} from "./monitoring/AnomalyDetector.js";
export type { AddResult } from "./registry/Registry.js";
export {
  ChipsetError,
  hasCode,
  ErrorCodes,
  errorTraits,
  type ErrorCode,
  type ErrorCategory,
  type ErrorSeverity,
  type ErrorTraits,
  type ErrorContext,
} from "./errors/index.js";
export { ManualClock, systemClock, type Clock } from "./common/Clock.js";
export type { Disposable } from "./common/Disposable.js";
export { defineModule, type ModuleDefinition, type ModuleContext, type ModuleProxy } from "./module.js";
