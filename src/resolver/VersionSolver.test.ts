import { describe, expect, it } from "vitest";
import { type VersionCatalog } from "./Selection.js";
import { VersionSolver } from "./VersionSolver.js";

type Deps = { requires?: Record<string, string>; optional?: Record<string, string> };
type Spec = Record<string, Record<string, Deps>>;

function catalog(spec: Spec): VersionCatalog {
  return {
    versions: (id) => Object.keys(spec[id] ?? {}),
    manifest: (id, version) => spec[id]![version]!,
  };
}

/** The solver's work on a world of `n` dependency edges, and what it answered. */
function workOn(world: (n: number) => { spec: Spec; root: string }, n: number) {
  const { spec, root } = world(n);
  const solver = new VersionSolver(catalog(spec), new Map(), new Set());
  const outcome = solver.solve([{ id: root }]);
  return { work: solver.work, outcome };
}

/** `app` requires `n` modules, none of them installed: `n` failures. */
function requiresMissing(n: number, withOptional: boolean) {
  const requires: Record<string, string> = {};
  for (let i = 0; i < n; i++) requires[`dep-${i}`] = "^1.0.0";
  const spec: Spec = {
    app: { "1.0.0": withOptional ? { requires, optional: { extra: "*" } } : { requires } },
  };
  if (withOptional) spec["extra"] = { "1.0.0": {} };
  return { spec, root: "app" };
}

/** A chain of `n / 2` links, each also requiring `shared` (two versions) first: `shared` is settled at every step. */
function sharedByAChain(n: number) {
  const spec: Spec = { shared: { "1.0.0": {}, "1.1.0": {} } };
  const links = n / 2;
  for (let i = 0; i < links; i++) {
    const requires: Record<string, string> = { shared: "^1.0.0" };
    if (i + 1 < links) requires[`link-${i + 1}`] = "*";
    spec[`link-${i}`] = { "1.0.0": { requires } };
  }
  return { spec, root: "link-0" };
}

// Counting work, not timing it: ten times the edges must cost about ten times the work. Before,
// each failure recomputed reachability over the whole graph and each settle rescanned every
// constraint on the module, so these grew about a hundredfold (10,000 missing modules: 38-50 s).
describe("VersionSolver's work grows linearly with the dependency edges", () => {
  const linear = (world: (n: number) => { spec: Spec; root: string }) => {
    const small = workOn(world, 500);
    const large = workOn(world, 5000);
    expect(large.work).toBeGreaterThan(0);
    expect(large.work / small.work).toBeLessThan(11);
    return large.outcome;
  };

  it("when every required module is missing", () => {
    const outcome = linear((n) => requiresMissing(n, false));
    expect("failed" in outcome && outcome.reason).toBe("missing");
  });

  it("when every required module is missing and an optional dependency is in play", () => {
    const outcome = linear((n) => requiresMissing(n, true));
    expect("failed" in outcome && outcome.reason).toBe("missing");
  });

  it("when one module is required from every step of a long chain", () => {
    const outcome = linear(sharedByAChain);
    expect("selected" in outcome && outcome.selected.get("shared")).toEqual(["1.1.0"]);
    expect("selected" in outcome && outcome.selected.size).toBe(2501);
  });
});
