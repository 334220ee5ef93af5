import { murmur3 } from "../dispatch/strategies.js";
import type { PlacementManifest } from "../vocabulary/placement.js";

/**
 * Which nodes of a cluster run which replicas: a pure function of the live nodes (with their
 * labels) and the modules wanted, so every node computes the same answer and no leader is needed.
 * Each module ranks the nodes by rendezvous (highest random weight) hashing of `(id, node)`; the
 * replicas go to the best-ranked nodes that match the module's `placement.nodes`. A node that
 * leaves gives up only its own replicas, and one that joins takes about its share (1 in n).
 */

/** A node as placement sees it. Names are unique (the membership keys nodes by name). */
export interface PlacementNode {
  name: string;
  /** The node's labels (`chipset start --labels zone=a`). */
  labels: Readonly<Record<string, string>>;
  /** False: the node is lost or leaving and gets nothing. Default true. */
  alive?: boolean;
}

/** One module version to place. */
export interface PlacementRequest {
  id: string;
  version: string;
  /** Replicas wanted across the cluster, a whole number; 0 places none. */
  replicas: number;
  /**
   * The most replicas one node may run: 1 for a module without a `replicas` section (one instance
   * per host), else its `replicas.max`. Default: no limit.
   */
  perNodeMax?: number;
  /** The config file's `placement.<id>` when it has one, else the manifest's `placement`. */
  placement?: PlacementManifest;
}

/** What {@link place} works from. Order does not matter: the answer is the same in any order. */
export interface PlacementInput {
  nodes: readonly PlacementNode[];
  modules: readonly PlacementRequest[];
}

/** A module some or all of whose replicas have no node to run on. */
export interface PlacementShortfall {
  /** `id@version` (see {@link placementKey}). */
  key: string;
  id: string;
  version: string;
  wanted: number;
  /** Replicas that did get a node (in `assignments`). */
  placed: number;
  /** Why, naming the label constraint or the per-node limit, and what to change. */
  reason: string;
}

/** A spread module with more replicas than eligible nodes, so some nodes run more than one. */
export interface PlacementWrap {
  key: string;
  id: string;
  version: string;
  replicas: number;
  /** Eligible nodes the replicas were spread over. */
  nodes: number;
  message: string;
}

/** What {@link place} decided. Entries are ordered by module key, so equal inputs give equal results. */
export interface PlacementResult {
  /**
   * `id@version` -> the node of each placed replica, one entry per replica in the order they were
   * dealt; a node appears as often as it runs replicas. Every requested module has an entry.
   */
  assignments: Map<string, string[]>;
  unsatisfiable: PlacementShortfall[];
  wrapped: PlacementWrap[];
}

/** The key of a module version in a {@link PlacementResult}: `id@version`. */
export function placementKey(id: string, version: string): string {
  return `${id}@${version}`;
}

/**
 * True when `node` matches `placement.nodes`: for every label name listed, the node has that
 * label with one of the listed values. No `placement` or no `nodes`: every node matches.
 */
export function matchesPlacement(node: PlacementNode, placement: PlacementManifest | undefined): boolean {
  const wanted = placement?.nodes;
  if (wanted === undefined) return true;
  for (const [name, values] of Object.entries(wanted)) {
    const value = Object.hasOwn(node.labels, name) ? node.labels[name] : undefined;
    if (value === undefined || !values.includes(value)) return false;
  }
  return true;
}

/**
 * The rendezvous weight of `node` for module `id`: 53 bits from two murmur3 hashes of the pair,
 * the same on every node and Node.js version. Higher ranks first.
 */
export function rendezvousWeight(id: string, node: string): number {
  // "\n" cannot occur in a module id or a node name, so distinct pairs give distinct keys.
  const key = `${id}\n${node}`;
  return murmur3(key, 0x9e3779b9) * 2 ** 21 + (murmur3(key, 0x85ebca6b) >>> 11);
}

/** `nodes` ranked for module `id`: highest rendezvous weight first, ties by name. A new array. */
export function rankNodes<N extends PlacementNode>(id: string, nodes: readonly N[]): N[] {
  const weighted = nodes.map((node) => ({ node, weight: rendezvousWeight(id, node.name) }));
  weighted.sort(
    (a, b) => b.weight - a.weight || (a.node.name < b.node.name ? -1 : a.node.name > b.node.name ? 1 : 0),
  );
  return weighted.map((w) => w.node);
}

/**
 * Places every module of `input` on the live nodes. A module goes only to nodes that match its
 * `placement.nodes`, ranked for it by rendezvous hashing. With `placement.spread` its replicas
 * are dealt one per node down that ranking, wrapping round (and saying so in `wrapped`) when
 * there are more replicas than nodes; without, they fill the first node up to `perNodeMax`, then
 * the next. Replicas with no room are reported in `unsatisfiable`, with the reason.
 */
export function place(input: PlacementInput): PlacementResult {
  const live = uniqueLiveNodes(input.nodes);
  const modules = [...input.modules].sort((a, b) =>
    compare(placementKey(a.id, a.version), placementKey(b.id, b.version)),
  );
  const result: PlacementResult = { assignments: new Map(), unsatisfiable: [], wrapped: [] };
  for (const module of modules) {
    const key = placementKey(module.id, module.version);
    const eligible = rankNodes(
      module.id,
      live.filter((node) => matchesPlacement(node, module.placement)),
    );
    const perNodeMax = module.perNodeMax ?? Number.POSITIVE_INFINITY;
    const wanted = Math.max(0, module.replicas);
    // 0 eligible nodes times an unlimited perNodeMax would be NaN.
    const placed = eligible.length === 0 ? 0 : Math.min(wanted, eligible.length * perNodeMax);
    const nodes =
      module.placement?.spread === true ? deal(eligible, placed) : fill(eligible, placed, perNodeMax);
    result.assignments.set(
      key,
      nodes.map((node) => node.name),
    );
    const base = { key, id: module.id, version: module.version };
    if (placed < wanted)
      result.unsatisfiable.push({
        ...base,
        wanted,
        placed,
        reason:
          eligible.length === 0
            ? noNodeReason(module, live)
            : `only ${placed} of ${wanted} replicas fit: ${eligible.length} eligible node${plural(eligible.length)} run at most ${perNodeMax} each; add nodes${module.placement?.nodes ? " that match placement.nodes" : ""} or raise replicas.max`,
      });
    if (module.placement?.spread === true && placed > eligible.length)
      result.wrapped.push({
        ...base,
        replicas: placed,
        nodes: eligible.length,
        message: `${placed} replicas of ${key} are spread over ${eligible.length} eligible node${plural(eligible.length)}, so ${placed % eligible.length === 0 ? "each runs" : "some run"} ${Math.ceil(placed / eligible.length)}; add nodes to give each replica its own`,
      });
  }
  return result;
}

/**
 * True when `result` lets node `nodeName` run module `moduleId`: some version of it has a replica
 * there, or placement does not know the module (then nothing keeps it off the node).
 */
export function placesLocally(nodeName: string, moduleId: string, result: PlacementResult): boolean {
  let known = false;
  const prefix = `${moduleId}@`;
  for (const [key, nodes] of result.assignments) {
    // Versions hold no "@", so the id is what precedes the last one (a scoped id starts with "@").
    if (!key.startsWith(prefix) || key.lastIndexOf("@") !== moduleId.length) continue;
    if (nodes.includes(nodeName)) return true;
    known = true;
  }
  return !known;
}

/** How many replicas of `key` (`id@version`) `result` puts on node `nodeName`; 0 for an unknown key. */
export function shareOf(nodeName: string, key: string, result: PlacementResult): number {
  let share = 0;
  for (const node of result.assignments.get(key) ?? []) if (node === nodeName) share++;
  return share;
}

/** The live nodes, one per name (the first wins), sorted by name so input order cannot matter. */
function uniqueLiveNodes(nodes: readonly PlacementNode[]): PlacementNode[] {
  const byName = new Map<string, PlacementNode>();
  for (const node of [...nodes].sort((a, b) => compare(a.name, b.name)))
    if (node.alive !== false && !byName.has(node.name)) byName.set(node.name, node);
  return [...byName.values()];
}

/** `count` replicas one per node down `ranked`, round and round: most and fewest differ by at most one. */
function deal(ranked: readonly PlacementNode[], count: number): PlacementNode[] {
  const out: PlacementNode[] = [];
  for (let i = 0; i < count; i++) out.push(ranked[i % ranked.length]!);
  return out;
}

/** `count` replicas filling each node of `ranked` in turn up to `perNodeMax`. */
function fill(ranked: readonly PlacementNode[], count: number, perNodeMax: number): PlacementNode[] {
  const out: PlacementNode[] = [];
  for (const node of ranked) for (let n = 0; n < perNodeMax && out.length < count; n++) out.push(node);
  return out;
}

/** Why no live node can run `module`, naming each label constraint and how many nodes meet it. */
function noNodeReason(module: PlacementRequest, live: readonly PlacementNode[]): string {
  if (live.length === 0) return "no node of the cluster is alive";
  const wanted = Object.entries(module.placement?.nodes ?? {});
  const constraint = wanted.map(([name, values]) => `${name}=${values.join("|")}`).join(" and ");
  const counts = wanted.map(([name, values]) => {
    const n = live.filter((node) => matchesPlacement(node, { nodes: { [name]: values } })).length;
    return `${n} ha${n === 1 ? "s" : "ve"} ${name}=${values.join("|")}`;
  });
  const labels = wanted.map(([name, values]) => `${name}=${values[0]}`).join(",");
  return (
    `no live node matches placement.nodes (${constraint}): of ${live.length} live node${plural(live.length)}, ${counts.join(", ")}; ` +
    `start a node with --labels ${labels}, or widen placement.nodes`
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function plural(n: number): string {
  return n === 1 ? "" : "s";
}
