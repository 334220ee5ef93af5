// Lays the dependency graph out with dagre: dependencies above their dependents, one rank per load
// level (a dependency edge spans as many ranks as the levels it crosses).

import { Graph as Dagre, layout } from "@dagrejs/dagre";
import type { Graph, GraphEdge } from "./api/types.js";

interface Point {
  x: number;
  y: number;
}

/** What dagre reads (sizes, spacing) and writes (a box's size and centre) on the graph and its nodes. */
interface Box {
  width?: number;
  height?: number;
  rankdir?: string;
  nodesep?: number;
  ranksep?: number;
  marginx?: number;
  marginy?: number;
}

export const NODE_WIDTH = 150;
export const NODE_HEIGHT = 44;

export interface PlacedNode {
  id: string;
  x: number;
  y: number;
}

/** A dependency edge of the graph, and where it is drawn. */
export interface PlacedEdge extends GraphEdge {
  /** SVG path data, from the dependency to the dependent. */
  path: string;
}

export interface Layout {
  width: number;
  height: number;
  nodes: Map<string, PlacedNode>;
  edges: PlacedEdge[];
}

/** Where each node and edge of `graph` goes (px). Edges to modules not in the graph are left out. */
export function layOut(graph: Graph): Layout {
  const g = new Dagre<Box, Box & Point, { minlen: number; points?: Point[] }>({ multigraph: false });
  g.setGraph({ rankdir: "TB", nodesep: 24, ranksep: 56, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({ minlen: 1 }));
  const level = new Map(graph.nodes.map((n) => [n.id, n.level]));
  for (const n of graph.nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT, x: 0, y: 0 });
  const drawn = graph.edges.filter((e) => level.has(e.from) && level.has(e.to));
  for (const e of drawn) {
    const from = level.get(e.to);
    const to = level.get(e.from);
    const minlen = typeof from === "number" && typeof to === "number" ? Math.max(1, to - from) : 1;
    g.setEdge(e.to, e.from, { minlen });
  }
  layout(g);
  const nodes = new Map<string, PlacedNode>();
  for (const id of g.nodes()) {
    const n = g.node(id);
    nodes.set(id, { id, x: n.x, y: n.y });
  }
  const edges = drawn.map((e) => {
    const points = g.edge(e.to, e.from).points ?? [];
    const path = points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
    return { ...e, path };
  });
  const box = g.graph();
  return { width: box.width ?? 0, height: box.height ?? 0, nodes, edges };
}
