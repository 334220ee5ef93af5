import { describe, expect, it } from "vitest";
import type { Graph, GraphNode } from "./api/types.js";
import { layOut } from "./graphLayout.js";

const node = (id: string, level: number | null): GraphNode => ({
  id,
  version: "1.0.0",
  kind: "k",
  state: "running",
  level,
});
const edge = (from: string, to: string, optional = false) => ({
  from,
  to,
  range: "^1.0.0",
  optional,
  resolved: "1.0.0",
});

/** The rows of a layout, top to bottom, each the sorted ids at one height. */
function rows(graph: Graph): string[][] {
  const placed = [...layOut(graph).nodes.values()];
  const ys = [...new Set(placed.map((n) => Math.round(n.y)))].sort((a, b) => a - b);
  return ys.map((y) =>
    placed
      .filter((n) => Math.round(n.y) === y)
      .map((n) => n.id)
      .sort(),
  );
}

describe("the dependency graph's layout", () => {
  it("puts each module on the row of its load level, dependencies above dependents", () => {
    // c needs nothing (level 0) and only d (level 2) needs it: a layout that shortens edges would
    // pull c down to row 1, next to d; the load level keeps it on row 0.
    const graph: Graph = {
      nodes: [node("a", 0), node("b", 1), node("c", 0), node("d", 2)],
      edges: [edge("b", "a"), edge("d", "a"), edge("d", "b", true), edge("d", "c")],
      problem: null,
    };
    expect(rows(graph)).toEqual([["a", "c"], ["b"], ["d"]]);
  });

  it("still lays out a cycle, whose modules have no level", () => {
    const graph: Graph = {
      nodes: [node("a", null), node("b", null)],
      edges: [edge("a", "b"), edge("b", "a")],
      problem: { code: "CHIP_ERR_DEPENDENCY_CYCLE", message: "a -> b -> a" },
    };
    const placed = layOut(graph);
    expect([...placed.nodes.keys()].sort()).toEqual(["a", "b"]);
    expect(placed.edges.every((e) => e.path.startsWith("M"))).toBe(true);
  });

  it("leaves out an edge to a module that is not installed", () => {
    const graph: Graph = { nodes: [node("a", 0)], edges: [edge("a", "ghost")], problem: null };
    expect(layOut(graph).edges).toEqual([]);
  });
});
