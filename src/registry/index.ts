export * from "./Manifest.js";
export {
  Registry,
  type AddOptions,
  type AddResult,
  type RegistryOptions,
  type VerifyProblem,
} from "./Registry.js";
export type { DependencyEdge, DependentEdge, UsageEntry } from "./RegistryTable.js";
export type { RecoveryReport } from "./recoverStore.js";
export { validatePackageManifest } from "./validateManifest.js";
export { validateConfig } from "./validateConfig.js";
export { readPackageManifest, type PackageInfo } from "./readPackageManifest.js";
export { manifestSchema, isValidPackageName, isValidVersion, isValidRange } from "./manifestSchema.js";
export type { SchemaProblem } from "./describeSchemaErrors.js";
export {
  loadConfigFile,
  loadDefaultConfigFile,
  CONFIG_FILE_NAME,
  type ChipsetConfig,
  type ConfigDefaults,
} from "./ConfigFile.js";
export { scanModuleDirs, type ScanReport } from "./scanModuleDirs.js";
