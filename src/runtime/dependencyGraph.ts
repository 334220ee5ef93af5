import semver from "semver";
import { ChipsetError } from "../errors/ChipsetError.js";
import type { LifecycleState } from "../vocabulary/lifecycle.js";

/** A module in the dependency graph: the version that runs, else the highest installed. */
export interface GraphNode {
  id: string;
  version: string;
  kind: string;
  state: LifecycleState;
  /** Its load level (0: needs nothing; each dependency in a lower level); null when the graph cannot be ordered. */
  level: number | null;
}

/** A declared dependency: `from` requires (or, `optional`, uses) `to` within `range`. */
export interface GraphEdge {
  from: string;
  to: string;
  range: string;
  optional: boolean;
  /** The installed version of `to` the range resolves to now; null when none fits (or `to` is missing). */
  resolved: string | null;
}

/** Every registered module and its dependencies, with load levels, or why they cannot be ordered. */
export interface DependencyGraphView {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Why the modules cannot be put in load order (a cycle, a version conflict, a missing module); null when they can. */
  problem: { code: string; message: string } | null;
}

/** A registered module version as the graph reads it. */
interface Listed {
  id: string;
  version: string;
  kind: string;
  state: LifecycleState;
}

/** What the graph is read from (the runtime's queries). */
export interface GraphSource {
  list(): Listed[];
  dependencies(ref: string): Array<{ id: string; range: string; optional: boolean; resolved: string | null }>;
  order(refs: readonly string[]): { levels: string[][] };
}

/**
 * The dependency graph of every registered module (one node per id: the version that runs, else
 * the highest), its edges with what each range resolves to, and each node's load level, or the
 * problem that keeps the graph from being ordered (a cycle or a version conflict, as `chipset
 * why` explains it).
 */
export function dependencyGraph(source: GraphSource): DependencyGraphView {
  const chosen = new Map<string, Listed>();
  for (const m of source.list()) {
    const seen = chosen.get(m.id);
    const runs = (s: Listed) => s.state !== "registered";
    if (
      seen === undefined ||
      (runs(m) && !runs(seen)) ||
      (runs(m) === runs(seen) && semver.gt(m.version, seen.version))
    )
      chosen.set(m.id, m);
  }
  const levelOf = new Map<string, number>();
  let problem: DependencyGraphView["problem"] = null;
  try {
    source
      .order([...chosen.keys()])
      .levels.forEach((ids, level) => ids.forEach((id) => levelOf.set(id, level)));
  } catch (err) {
    if (!(err instanceof ChipsetError)) throw err;
    problem = { code: err.code, message: err.message };
  }
  const nodes = [...chosen.values()].map((m) => ({
    id: m.id,
    version: m.version,
    kind: m.kind,
    state: m.state,
    level: problem === null ? (levelOf.get(m.id) ?? null) : null,
  }));
  const edges = nodes.flatMap((n) =>
    source.dependencies(`${n.id}@${n.version}`).map((d) => ({
      from: n.id,
      to: d.id,
      range: d.range,
      optional: d.optional,
      resolved: d.resolved,
    })),
  );
  return { nodes, edges, problem };
}
