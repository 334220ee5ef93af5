export { orderLevels, type LoadOrder } from "./DependencyGraph.js";
export { dependenciesClosure, dependentsClosure } from "./closure.js";
export {
  selectVersions,
  type Selection,
  type SelectionRequest,
  type VersionCatalog,
} from "./selectVersions.js";
export { REQUESTED, type VersionConstraint } from "./versionErrors.js";
