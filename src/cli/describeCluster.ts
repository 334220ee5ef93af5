import type { ClusterEvent } from "../cluster/Cluster.js";
import { ChipsetError, messageOf } from "../errors/index.js";
import { key } from "./format.js";

/** One line of a host's output for what its cluster did (`chipset start --cluster`). */
export function describeClusterEvent(event: ClusterEvent, cluster: string, node: string): string {
  switch (event.type) {
    case "joined":
      return `${event.again ? "rejoined" : "joined"} cluster ${cluster} as ${node} via ${event.server}`;
    case "alone": {
      const n = event.pending;
      return `NATS unreachable: working alone; will publish ${n} ${n === 1 ? "version" : "versions"} when NATS is back`;
    }
    case "published":
      return `published ${key(event.id, event.version)} to cluster ${cluster}`;
    case "unpublished":
      return `removed ${key(event.id, event.version)} from cluster ${cluster}'s catalogue`;
    case "installed":
      return `installed ${key(event.id, event.version)} from cluster ${cluster} (published by ${event.from})`;
    case "removed":
      return `removed ${key(event.id, event.version)}: ${event.from} removed it from cluster ${cluster}`;
    case "refused":
      return `refused ${key(event.id, event.version)} from cluster ${cluster}: ${describeFailure(event.error)}`;
    case "failed":
      return `cluster ${cluster}: ${event.what} failed (${describeFailure(event.error)})${event.retrying ? "; trying again" : ""}`;
  }
}

/** `error` as `CODE: message`, or its message when it has no code. */
function describeFailure(error: unknown): string {
  return error instanceof ChipsetError ? `${error.code}: ${error.message}` : messageOf(error);
}
