/** Chipset's host API: create a runtime, register and use modules, watch events. */
export { createRuntime } from "./runtime/createRuntime.js";
export type { Runtime, ControlOptions } from "./runtime/Runtime.js";
export type { LoadReport, LoadTask } from "./runtime/Loader.js";
export type { RuntimeOptions } from "./runtime/RuntimeOptions.js";
export type { RuntimeEvents, RuntimeEventName, ModuleRef, UnloadReason } from "./runtime/RuntimeEvents.js";
export type { ModuleSummary, ModuleInfo, DependencyInfo, DependencyTree } from "./runtime/RuntimeQueries.js";
export type { ModuleOutcome } from "./runtime/Activator.js";
export type { ShutdownReport } from "./runtime/shutdown.js";
export type { KindDefinition, KindDefaults } from "./runtime/KindRegistry.js";
export type { AppHook, HookEvent, HookPoint, HookScope } from "./lifecycle/HookRegistry.js";
export type { LifecycleState, LifecycleCommand } from "./lifecycle/transitions.js";
export type {
  ChipsetManifest,
  PackageManifest,
  ModuleRecord,
  Activation,
  Isolation,
  Phase,
} from "./registry/Manifest.js";
export type { ScanReport } from "./registry/scanModuleDirs.js";
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
} from "./errors/index.js";
export { ManualClock, systemClock, type Clock } from "./common/Clock.js";
export type { Disposable } from "./common/Disposable.js";
export { defineModule, type ModuleDefinition, type ModuleContext, type ModuleProxy } from "./module.js";
