/**
 * Several Chipset hosts as one over NATS (see docs/cluster.md). A separate entry point, so that
 * the main one never loads the NATS client. For now a cluster shares its registry: a module
 * version added on one node is installed on every other.
 */
export {
  joinCluster,
  defaultNodeName,
  type Cluster,
  type ClusterEvent,
  type ClusterOptions,
  type ClusterStatus,
} from "./cluster/Cluster.js";
export type { SharedRegistryEvent } from "./cluster/SharedRegistry.js";
export type { CatalogEntry, ManifestSummary } from "./cluster/catalogEntry.js";
