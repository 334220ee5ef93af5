/** The graphs and contenders of benchmark 3 (shared by the in-process runs and the cold samples). */
import depGraph from "dependency-graph";
import toposort from "toposort";
import { orderLevels } from "../../dist/resolver/DependencyGraph.js";
import { prng } from "./stats.mjs";

const { DepGraph } = depGraph;

/** `n` nodes in random input order, `m` distinct edges each pointing to a lower hidden rank. */
export function randomDag(n, m, seed) {
  const random = prng(seed);
  const names = Array.from({ length: n }, (_, i) => `mod-${String(i).padStart(5, "0")}`);
  // rank[i]: position of node i in a hidden topological order
  const rank = names.map((_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rank[i], rank[j]] = [rank[j], rank[i]];
  }
  const byRank = [];
  rank.forEach((r, i) => (byRank[r] = i));
  const seen = new Set();
  const deps = new Map(names.map((name) => [name, []]));
  while (seen.size < m) {
    let a = Math.floor(random() * n);
    let b = Math.floor(random() * n);
    if (a === b) continue;
    if (a < b) [a, b] = [b, a];
    const from = byRank[a]; // higher rank depends on lower rank
    const to = byRank[b];
    const key = from * n + to;
    if (seen.has(key)) continue;
    seen.add(key);
    deps.get(names[from]).push(names[to]);
  }
  return { nodes: names, deps };
}

export function chain(n) {
  const nodes = Array.from({ length: n }, (_, i) => `c-${i}`);
  const deps = new Map(nodes.map((name, i) => [name, i === 0 ? [] : [nodes[i - 1]]]));
  // Input in reverse so that a depth-first sort has to walk the whole chain from the first node.
  return { nodes: [...nodes].reverse(), deps };
}

// ---- the contenders: each takes { nodes, deps } and returns an order (dependencies first) ----

function chipset({ nodes, deps }) {
  return orderLevels(nodes, (node) => deps.get(node)).order;
}

/** Kahn's algorithm with maps and arrays, as one would write it by hand: the floor. */
export function kahn({ nodes, deps }) {
  const pending = new Map();
  const dependents = new Map();
  for (const node of nodes) {
    pending.set(node, 0);
    dependents.set(node, []);
  }
  for (const node of nodes) {
    const list = deps.get(node);
    pending.set(node, list.length);
    for (const dep of list) dependents.get(dep).push(node);
  }
  const order = [];
  for (const node of nodes) if (pending.get(node) === 0) order.push(node);
  for (let head = 0; head < order.length; head++) {
    for (const next of dependents.get(order[head])) {
      const left = pending.get(next) - 1;
      pending.set(next, left);
      if (left === 0) order.push(next);
    }
  }
  if (order.length !== nodes.length) throw new Error(`cycle among ${nodes.length - order.length} nodes`);
  return order;
}

function dependencyGraph({ nodes, deps }) {
  const graph = new DepGraph();
  for (const node of nodes) graph.addNode(node);
  for (const node of nodes) for (const dep of deps.get(node)) graph.addDependency(node, dep);
  return graph.overallOrder();
}

function toposortPkg({ nodes, deps }) {
  const edges = [];
  for (const node of nodes) for (const dep of deps.get(node)) edges.push([dep, node]);
  return toposort.array(nodes, edges);
}

export const CONTENDERS = [
  ["chipset orderLevels", chipset],
  ["bare Kahn (floor)", kahn],
  ["dependency-graph overallOrder", dependencyGraph],
  ["toposort.array", toposortPkg],
];

/** Throws unless `order` holds every node once, each after its dependencies. */
export function check(name, { nodes, deps }, order) {
  if (order.length !== nodes.length) throw new Error(`${name}: ${order.length} of ${nodes.length} nodes`);
  const position = new Map(order.map((node, i) => [node, i]));
  for (const node of nodes) {
    for (const dep of deps.get(node)) {
      if (!(position.get(dep) < position.get(node))) throw new Error(`${name}: ${dep} is not before ${node}`);
    }
  }
}
