/**
 * Where a module's replicas may run when hosts form a cluster (see docs/dispatch.md, "Placement
 * across nodes"): the manifest's `placement` and the config file's `placement.<id>`. Types only;
 * registry/ validates them and cluster/placement.ts applies them.
 */

/** The manifest's `placement` section; every field is optional and `{}` places anywhere. */
export interface PlacementManifest {
  /**
   * Node affinity: label name -> the values allowed. A node is eligible when, for every listed
   * name, it has that label with one of the listed values (`{ "zone": ["a", "b"] }`).
   * Absent or `{}`: every node is eligible.
   */
  nodes?: Record<string, string[]>;
  /**
   * `true`: each replica on a different eligible node while there are enough of them, then as
   * evenly as possible (most and fewest per node differ by at most one). Default `false`: the
   * replicas fill one node (the module's first choice), up to the most one node may run.
   */
  spread?: boolean;
}
