// The shapes of the host's answers the page reads (see the host's /openapi.json). Only the fields
// the page uses are listed.

export interface HostInfo {
  isolation: "inline" | "worker" | "process";
  pid: number;
  threadId: number;
}

export interface ResourceSample {
  at: number;
  cpuPercent: number;
  memoryBytes: number | null;
  rssBytes: number | null;
  heapUsedBytes: number | null;
  fsReadBps: number;
  fsWriteBps: number;
  netInBps: number;
  netOutBps: number;
}

export interface LiveInstance {
  version: string;
  replica: number;
  state: string;
  host: HostInfo;
  calls: number;
  uptimeMs: number | null;
  restarts: number;
  resources: ResourceSample | null;
  failedCalls: number | null;
  p99Ms: number | null;
}

export interface Breaker {
  id: string;
  method?: string | null;
  state: string;
}

export interface ModuleView {
  id: string;
  version: string;
  kind: string;
  description: string;
  activation: string;
  isolation: string;
  state: string;
  ready: boolean;
  instance: LiveInstance | null;
  replicas: LiveInstance[];
  breakers: Breaker[];
}

export interface Dependency {
  id: string;
  version?: string;
  range: string;
  optional: boolean;
}

export interface Crash {
  at?: number;
  kind?: string;
  action?: string;
  delayMs?: number | null;
  [field: string]: unknown;
}

export interface ModuleDetail extends ModuleView {
  versions: string[];
  manifest: Record<string, unknown>;
  dir: string;
  digest: string;
  installedAt: number;
  dependencies: Dependency[];
  dependents: Dependency[];
  crashes: Crash[];
  instances: LiveInstance[];
}

export interface GraphNode {
  id: string;
  version: string;
  kind: string;
  state: string;
  level: number | null;
}

export interface GraphEdge {
  from: string;
  to: string;
  range: string;
  optional: boolean;
  resolved: string | null;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  problem: { code: string; message: string } | null;
}

/** One point of `GET /v1/modules/{ref}/resources`: raw samples or minute rollups. */
export interface ResourcePoint {
  at: number;
  resolution: "raw" | "minute";
  cpuPercent: number | null;
  memoryBytes: number | null;
  diskBps: number | null;
  networkBps: number | null;
  calls?: number | null;
  failures?: number | null;
  p99Ms?: number | null;
}
