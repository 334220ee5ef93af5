import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { orderLevels, type LoadOrder } from "./DependencyGraph.js";

type Graph = Record<string, string[]>;

function order(graph: Graph, nodes: readonly string[] = Object.keys(graph)): LoadOrder {
  return orderLevels(nodes, (node) => graph[node] ?? []);
}

function cycleOf(run: () => unknown): ChipsetError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ChipsetError);
    expect((err as ChipsetError).code).toBe(ErrorCodes.DEPENDENCY_CYCLE);
    return err as ChipsetError;
  }
  throw new Error("expected a dependency cycle error");
}

describe("orderLevels", () => {
  it("puts modules without dependencies in level 0 and each module one level above its highest dependency", () => {
    const graph = { app: ["ui", "log"], ui: ["log"], log: [], db: ["log"], cache: [] };
    expect(order(graph)).toEqual({
      order: ["log", "cache", "ui", "db", "app"],
      levels: [["log", "cache"], ["ui", "db"], ["app"]],
    });
  });

  it("keeps the input order within a level", () => {
    const graph = { c: [], b: [], a: [], z: ["a", "c"], y: ["b"] };
    expect(order(graph, ["z", "a", "y", "c", "b"]).levels).toEqual([
      ["a", "c", "b"],
      ["z", "y"],
    ]);
    expect(order(graph, ["b", "c", "a", "y", "z"]).levels).toEqual([
      ["b", "c", "a"],
      ["y", "z"],
    ]);
  });

  it("gives the same result for the same input", () => {
    const graph = { a: [], b: ["a"], c: ["a"], d: ["b", "c"], e: [] };
    expect(order(graph)).toEqual(order(graph));
  });

  it("ignores dependencies on modules outside the given nodes", () => {
    const graph = { a: ["elsewhere"], b: ["a", "also-elsewhere"], elsewhere: ["b"] };
    expect(order(graph, ["a", "b"]).levels).toEqual([["a"], ["b"]]);
  });

  it("counts a repeated node once", () => {
    const graph = { a: [], b: ["a"] };
    expect(order(graph, ["b", "a", "b", "a"])).toEqual({ order: ["a", "b"], levels: [["a"], ["b"]] });
  });

  it("returns no levels for no nodes", () => {
    expect(order({})).toEqual({ order: [], levels: [] });
  });

  it("reports a module that requires itself as 'a' -> 'a'", () => {
    const err = cycleOf(() => order({ a: ["a"], b: [] }));
    expect(err.message).toContain("'a' -> 'a'");
    expect(err.details).toEqual({ cycle: ["a", "a"] });
    expect(err.module).toBe("a");
  });

  it("reports a two-module cycle with its path and a hint to break it", () => {
    const err = cycleOf(() => order({ base: [], a: ["base", "b"], b: ["a"] }));
    expect(err.message).toContain("'a' -> 'b' -> 'a'");
    expect(err.message).toMatch(
      /break the cycle by making one of these an optional dependency or removing it/i,
    );
    expect(err.details).toEqual({ cycle: ["a", "b", "a"] });
  });

  it("reports every module of a long cycle, starting from the first one in input order", () => {
    // d -> e -> ... -> h -> d, plus modules hanging off the cycle that are not part of it.
    const graph = { top: ["d"], d: ["e"], e: ["f"], f: ["g"], g: ["h"], h: ["d", "leaf"], leaf: [] };
    const err = cycleOf(() => order(graph, ["top", "leaf", "g", "h", "d", "e", "f"]));
    expect(err.message).toContain("'g' -> 'h' -> 'd' -> 'e' -> 'f' -> 'g'");
    expect(err.details).toEqual({ cycle: ["g", "h", "d", "e", "f", "g"] });
  });

  it("orders a 10,000-long chain without overflowing the stack", () => {
    const n = 10_000;
    const nodes = Array.from({ length: n }, (_, i) => `m${i}`);
    const result = orderLevels(nodes, (node) => (node === "m0" ? [] : [`m${Number(node.slice(1)) - 1}`]));
    expect(result.levels).toHaveLength(n);
    expect(result.order).toEqual(nodes);
  });

  it("finds a 10,000-long cycle without overflowing the stack", () => {
    const n = 10_000;
    const nodes = Array.from({ length: n }, (_, i) => `m${i}`);
    const err = cycleOf(() => orderLevels(nodes, (node) => [`m${(Number(node.slice(1)) + 1) % n}`]));
    const cycle = err.details["cycle"] as string[];
    expect(cycle).toHaveLength(n + 1);
    expect(cycle[0]).toBe("m0");
    expect(cycle[n]).toBe("m0");
  });
});

/** A graph on nodes `n0..n{size-1}` given as edges `[dependent, dependency]` by index. */
interface RandomGraph {
  nodes: string[];
  deps: Map<string, string[]>;
}

function build(
  size: number,
  edges: ReadonlyArray<readonly [number, number]>,
  outside: readonly number[],
): RandomGraph {
  const names = Array.from({ length: size }, (_, i) => `n${i}`);
  const deps = new Map(names.map((name) => [name, [] as string[]]));
  for (const [from, to] of edges) deps.get(names[from]!)!.push(names[to]!);
  for (const from of outside) deps.get(names[from]!)!.push(`outside-${from}`);
  return { nodes: names, deps };
}

/** Shuffles `names` by sorting on random keys, so the input order is not the index order. */
function shuffled(names: readonly string[], keys: readonly number[]): string[] {
  return names
    .map((name, i) => ({ name, key: keys[i] ?? 0 }))
    .sort((a, b) => a.key - b.key)
    .map((e) => e.name);
}

/** Independent reference: repeatedly remove nodes whose dependencies have all been removed. */
function hasCycle(nodes: readonly string[], deps: ReadonlyMap<string, readonly string[]>): boolean {
  const inside = new Set(nodes);
  const left = new Set(nodes);
  let removed = true;
  while (removed) {
    removed = false;
    for (const node of left) {
      if ((deps.get(node) ?? []).every((dep) => !inside.has(dep) || !left.has(dep))) {
        left.delete(node);
        removed = true;
      }
    }
  }
  return left.size > 0;
}

function checkOrder(
  nodes: readonly string[],
  deps: ReadonlyMap<string, readonly string[]>,
  result: LoadOrder,
): void {
  expect([...result.order].sort()).toEqual([...nodes].sort());
  expect(result.levels.flat()).toEqual(result.order);
  const levelOf = new Map<string, number>();
  result.levels.forEach((level, k) => level.forEach((node) => levelOf.set(node, k)));
  const position = new Map(result.order.map((node, i) => [node, i]));
  const inputPosition = new Map(nodes.map((node, i) => [node, i]));
  for (const node of nodes) {
    const inside = (deps.get(node) ?? []).filter((dep) => levelOf.has(dep));
    for (const dep of inside) {
      expect(levelOf.get(dep)!).toBeLessThan(levelOf.get(node)!);
      expect(position.get(dep)!).toBeLessThan(position.get(node)!);
    }
    const expected = inside.length === 0 ? 0 : 1 + Math.max(...inside.map((dep) => levelOf.get(dep)!));
    expect(levelOf.get(node)).toBe(expected);
  }
  for (const level of result.levels) {
    const positions = level.map((node) => inputPosition.get(node)!);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  }
}

const graphs = (acyclic: boolean) =>
  fc.integer({ min: 1, max: 60 }).chain((size) =>
    fc
      .record({
        size: fc.constant(size),
        edges: fc.array(fc.tuple(fc.nat(size - 1), fc.nat(size - 1)), { maxLength: size * 3 }),
        outside: fc.array(fc.nat(size - 1), { maxLength: 5 }),
        keys: fc.array(fc.double({ noNaN: true }), { minLength: size, maxLength: size }),
      })
      .map(({ size, edges, outside, keys }) => {
        // For a DAG, the higher index always depends on the lower one.
        const kept = acyclic
          ? edges.filter(([a, b]) => a !== b).map(([a, b]) => [Math.max(a, b), Math.min(a, b)] as const)
          : edges;
        const graph = build(size, kept, outside);
        return { nodes: shuffled(graph.nodes, keys), deps: graph.deps };
      }),
  );

describe("orderLevels on random graphs", () => {
  it("orders every node of a DAG once, each dependency in a strictly lower level", () => {
    fc.assert(
      fc.property(graphs(true), ({ nodes, deps }) => {
        checkOrder(
          nodes,
          deps,
          orderLevels(nodes, (node) => deps.get(node) ?? []),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("reports a real cycle if and only if the graph has one", () => {
    fc.assert(
      fc.property(graphs(false), ({ nodes, deps }) => {
        const cyclic = hasCycle(nodes, deps);
        let result: LoadOrder | undefined;
        try {
          result = orderLevels(nodes, (node) => deps.get(node) ?? []);
        } catch (err) {
          expect(cyclic).toBe(true);
          expect(err).toBeInstanceOf(ChipsetError);
          const cycle = (err as ChipsetError).details["cycle"] as string[];
          expect(cycle.length).toBeGreaterThanOrEqual(2);
          expect(cycle[0]).toBe(cycle[cycle.length - 1]);
          expect(new Set(cycle).size).toBe(cycle.length - 1);
          for (let k = 0; k + 1 < cycle.length; k++) expect(deps.get(cycle[k]!)).toContain(cycle[k + 1]);
          expect((err as ChipsetError).message).toContain(cycle.map((node) => `'${node}'`).join(" -> "));
          return;
        }
        expect(cyclic).toBe(false);
        checkOrder(nodes, deps, result);
      }),
      { numRuns: 500 },
    );
  });
});
