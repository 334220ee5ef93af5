import { describe, expect, it } from "vitest";
import {
  matchesPlacement,
  place,
  placementKey,
  placesLocally,
  rankNodes,
  shareOf,
  type PlacementNode,
  type PlacementRequest,
} from "./placement.js";

const node = (name: string, labels: Record<string, string> = {}, alive?: boolean): PlacementNode => ({
  name,
  labels,
  ...(alive === undefined ? {} : { alive }),
});
const zones: PlacementNode[] = [
  node("a1", { zone: "a", disk: "ssd" }),
  node("a2", { zone: "a" }),
  node("b1", { zone: "b", disk: "ssd" }),
  node("c1", { zone: "c" }),
];
const module = (replicas: number, extra: Partial<PlacementRequest> = {}): PlacementRequest => ({
  id: "video-player",
  version: "1.4.0",
  replicas,
  ...extra,
});
const KEY = "video-player@1.4.0";

/** Replicas per node of `nodes`, e.g. { a1: 2, b1: 1 }. */
function counts(nodes: readonly string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of nodes ?? []) out[name] = (out[name] ?? 0) + 1;
  return out;
}

describe("placement", () => {
  it("keys a module version as id@version, scoped ids included", () => {
    expect(placementKey("@acme/x", "1.0.0")).toBe("@acme/x@1.0.0");
  });

  it("runs a module only on nodes whose labels match every listed label", () => {
    const result = place({
      nodes: zones,
      modules: [module(4, { placement: { nodes: { zone: ["a", "b"], disk: ["ssd"] }, spread: true } })],
    });
    expect(counts(result.assignments.get(KEY))).toEqual({ a1: 2, b1: 2 });
    expect(result.unsatisfiable).toEqual([]);
  });

  it("treats a node without the label as not matching, and {} as matching every node", () => {
    expect(matchesPlacement(node("x"), { nodes: { zone: ["a"] } })).toBe(false);
    expect(matchesPlacement(node("x"), { nodes: {} })).toBe(true);
    expect(matchesPlacement(node("x"), undefined)).toBe(true);
    // A label named like an Object.prototype member is not inherited.
    expect(matchesPlacement(node("x"), { nodes: { constructor: ["a"] } })).toBe(false);
  });

  it("puts each replica of a spread module on its own node while there are enough nodes", () => {
    const result = place({ nodes: zones, modules: [module(3, { placement: { spread: true } })] });
    const nodes = result.assignments.get(KEY)!;
    expect(new Set(nodes).size).toBe(3);
    expect(nodes).toEqual(
      rankNodes("video-player", zones)
        .slice(0, 3)
        .map((n) => n.name),
    );
    expect(result.wrapped).toEqual([]);
  });

  it("wraps a spread module with more replicas than nodes evenly, and says so", () => {
    const result = place({ nodes: zones, modules: [module(6, { placement: { spread: true } })] });
    expect(Object.values(counts(result.assignments.get(KEY))).sort()).toEqual([1, 1, 2, 2]);
    expect(result.wrapped).toHaveLength(1);
    expect(result.wrapped[0]).toMatchObject({ key: KEY, replicas: 6, nodes: 4 });
    expect(result.wrapped[0]?.message).toBe(
      "6 replicas of video-player@1.4.0 are spread over 4 eligible nodes, so some run 2; add nodes to give each replica its own",
    );
  });

  it("fills the module's first node when it does not spread, then the next up to perNodeMax", () => {
    const [first, second] = rankNodes("video-player", zones).map((n) => n.name);
    expect(place({ nodes: zones, modules: [module(3)] }).assignments.get(KEY)).toEqual([first, first, first]);
    expect(
      counts(place({ nodes: zones, modules: [module(3, { perNodeMax: 2 })] }).assignments.get(KEY)),
    ).toEqual({ [first!]: 2, [second!]: 1 });
  });

  it("reports a module no node can run, naming the label constraint and what to do", () => {
    const result = place({
      nodes: zones,
      modules: [module(2, { placement: { nodes: { zone: ["d"], disk: ["ssd"] } } })],
    });
    expect(result.assignments.get(KEY)).toEqual([]);
    expect(result.unsatisfiable).toEqual([
      {
        key: KEY,
        id: "video-player",
        version: "1.4.0",
        wanted: 2,
        placed: 0,
        reason:
          "no live node matches placement.nodes (zone=d and disk=ssd): of 4 live nodes, 0 have zone=d, 2 have disk=ssd; start a node with --labels zone=d,disk=ssd, or widen placement.nodes",
      },
    ]);
  });

  it("places what fits under perNodeMax and reports the rest", () => {
    const result = place({
      nodes: zones,
      modules: [module(5, { perNodeMax: 1, placement: { nodes: { zone: ["a"] } } })],
    });
    expect(counts(result.assignments.get(KEY))).toEqual({ a1: 1, a2: 1 });
    expect(result.unsatisfiable[0]).toMatchObject({ wanted: 5, placed: 2 });
    expect(result.unsatisfiable[0]?.reason).toBe(
      "only 2 of 5 replicas fit: 2 eligible nodes run at most 1 each; add nodes that match placement.nodes or raise replicas.max",
    );
  });

  it("gives nothing to a node that is not alive, and says so when none is", () => {
    const result = place({ nodes: [node("a1", {}, false), node("b1")], modules: [module(2)] });
    expect(result.assignments.get(KEY)).toEqual(["b1", "b1"]);
    const none = place({ nodes: [node("a1", {}, false)], modules: [module(1)] });
    expect(none.unsatisfiable[0]?.reason).toBe("no node of the cluster is alive");
  });

  it("places no replica of a module wanted at 0, without complaint", () => {
    const result = place({ nodes: zones, modules: [module(0)] });
    expect(result.assignments.get(KEY)).toEqual([]);
    expect(result.unsatisfiable).toEqual([]);
  });

  it("ranks nodes the same way for every version of a module, so an update lands where it ran", () => {
    const result = place({
      nodes: zones,
      modules: [
        module(2, { placement: { spread: true } }),
        module(2, { version: "1.5.0", placement: { spread: true } }),
      ],
    });
    expect(result.assignments.get("video-player@1.5.0")).toEqual(result.assignments.get(KEY));
  });

  it("tells a node whether it may run a module, and its share", () => {
    const result = place({
      nodes: zones,
      modules: [
        module(1, { placement: { nodes: { zone: ["b"] } } }),
        { id: "@acme/x", version: "2.0.0", replicas: 2, placement: { nodes: { zone: ["c"] } } },
      ],
    });
    expect(placesLocally("b1", "video-player", result)).toBe(true);
    expect(placesLocally("a1", "video-player", result)).toBe(false);
    expect(placesLocally("c1", "@acme/x", result)).toBe(true);
    expect(placesLocally("c1", "@acme", result)).toBe(true); // not placed by the cluster: not kept off
    expect(placesLocally("a1", "unknown", result)).toBe(true);
    expect(shareOf("c1", "@acme/x@2.0.0", result)).toBe(2);
    expect(shareOf("a1", "@acme/x@2.0.0", result)).toBe(0);
    expect(shareOf("c1", "nothing@1.0.0", result)).toBe(0);
  });

  it("spreads many single-replica modules about evenly, and a new node takes about its share", () => {
    const ten = Array.from({ length: 10 }, (_, i) => node(`node-${i}`));
    const modules = Array.from({ length: 1000 }, (_, i) => ({
      id: `mod-${i}`,
      version: "1.0.0",
      replicas: 1,
    }));
    const before = place({ nodes: ten, modules });
    const perNode = counts([...before.assignments.values()].flat());
    for (const n of Object.values(perNode)) expect(n).toBeGreaterThan(60); // 100 expected
    const after = place({ nodes: [...ten, node("node-10")], modules });
    let moved = 0;
    for (const [key, nodes] of after.assignments) if (nodes[0] !== before.assignments.get(key)![0]) moved++;
    // 1000/11 ≈ 91 expected; every move goes to the new node.
    expect(moved).toBeGreaterThan(50);
    expect(moved).toBeLessThan(140);
    expect(moved).toBe(shareOfAll("node-10", after));
  });
});

function shareOfAll(name: string, result: ReturnType<typeof place>): number {
  return [...result.assignments.values()].flat().filter((n) => n === name).length;
}
