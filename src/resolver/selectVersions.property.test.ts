import fc from "fast-check";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { quickSelect } from "./quickSelect.js";
import { selectVersions, solveFully } from "./selectVersions.js";
import { type Selection, type SelectionRequest, type VersionCatalog } from "./Selection.js";

const IDS = ["a", "b", "c", "d", "e"] as const;
const VERSIONS = ["1.0.0", "1.2.0", "2.0.0", "2.3.0", "3.0.0-beta.1"] as const;
const RANGES = [
  "*",
  "^1.0.0",
  "^2.0.0",
  ">=1.2.0",
  "<2.0.0",
  "1.2.0",
  "~2.3.0",
  ">=2.0.0 <3.0.0",
  "^3.0.0-beta.0",
] as const;

interface Deps {
  requires: Record<string, string>;
  optional: Record<string, string>;
}

interface World {
  installed: Map<string, string[]>;
  manifests: Map<string, Deps>;
  roots: SelectionRequest[];
  pinned: Map<string, string>;
  /** Ids whose manifests allow several versions at once. */
  sideBySide: Set<string>;
}

const depsArb = fc
  .record({
    requires: fc.array(fc.tuple(fc.constantFrom(...IDS), fc.constantFrom(...RANGES)), { maxLength: 2 }),
    optional: fc.array(fc.tuple(fc.constantFrom(...IDS), fc.constantFrom(...RANGES)), { maxLength: 1 }),
  })
  .map(({ requires, optional }): Deps => ({
    requires: Object.fromEntries(requires),
    optional: Object.fromEntries(optional),
  }));

/**
 * Random small worlds: `ids` modules with up to `versions` installed versions each, whose
 * requirements vary by version, some of them allowed side by side.
 */
function worlds(ids: number = IDS.length, versions: number = VERSIONS.length): fc.Arbitrary<World> {
  const names = IDS.slice(0, ids);
  const pool = VERSIONS.slice(0, versions);
  return fc
    .record({
      versions: fc.array(fc.subarray([...pool]), { minLength: names.length, maxLength: names.length }),
      deps: fc.array(depsArb, {
        minLength: IDS.length * VERSIONS.length,
        maxLength: IDS.length * VERSIONS.length,
      }),
      roots: fc.array(
        fc.record({
          id: fc.constantFrom(...names),
          range: fc.option(fc.constantFrom(...RANGES), { nil: undefined }),
        }),
        { minLength: 1, maxLength: 2 },
      ),
      pins: fc.array(fc.tuple(fc.nat(names.length - 1), fc.nat(VERSIONS.length - 1)), { maxLength: 1 }),
      sideBySide: fc.subarray([...names]),
    })
    .map(({ versions, deps, roots, pins, sideBySide }) => {
      const installed = new Map(names.map((id, i) => [id, versions[i]!]));
      const manifests = new Map<string, Deps>();
      names.forEach((id, i) =>
        VERSIONS.forEach((v, j) => {
          const { requires, optional } = deps[i * VERSIONS.length + j]!;
          const inWorld = (entries: Record<string, string>) =>
            Object.fromEntries(
              Object.entries(entries).filter(([t]) => (names as readonly string[]).includes(t)),
            );
          manifests.set(`${id}@${v}`, { requires: inWorld(requires), optional: inWorld(optional) });
        }),
      );
      const pinned = new Map<string, string>();
      for (const [i, j] of pins) {
        const candidates = installed.get(names[i]!)!;
        if (candidates.length > 0) pinned.set(names[i]!, candidates[j % candidates.length]!);
      }
      return {
        installed,
        manifests,
        roots: roots.map((r) => (r.range === undefined ? { id: r.id } : r)),
        pinned,
        sideBySide: new Set<string>(sideBySide),
      };
    });
}

function catalogOf(world: World): VersionCatalog {
  return {
    versions: (id) => world.installed.get(id) ?? [],
    manifest: (id, version) => ({
      ...world.manifests.get(`${id}@${version}`)!,
      singleton: !world.sideBySide.has(id),
    }),
  };
}

/** The versions of `id` a selection may hold: a running singleton keeps its version. */
function candidates(world: World, id: string): string[] {
  const pin = world.pinned.get(id);
  return pin !== undefined && !world.sideBySide.has(id) ? [pin] : (world.installed.get(id) ?? []);
}

function hardRequires(world: World, id: string, version: string): Array<[string, string]> {
  return Object.entries(world.manifests.get(`${id}@${version}`)!.requires);
}

function optionalOnly(world: World, id: string, version: string): Array<[string, string]> {
  const deps = world.manifests.get(`${id}@${version}`)!;
  return Object.entries(deps.optional).filter(([target]) => !(target in deps.requires));
}

function select(world: World): Selection {
  return selectVersions(world.roots, catalogOf(world), { pinned: world.pinned });
}

/** Checks everything a returned selection promises, against the world itself. */
function checkSelection(world: World, selection: Selection): void {
  const { selected, edges, skippedOptional } = selection;
  const has = (key: string) => {
    const at = key.lastIndexOf("@");
    return selected.get(key.slice(0, at))?.includes(key.slice(at + 1)) ?? false;
  };
  for (const root of world.roots)
    expect(selected.get(root.id)?.some((v) => semver.satisfies(v, root.range ?? "*"))).toBe(true);
  for (const [id, versions] of selected) {
    if (!world.sideBySide.has(id)) expect(versions).toHaveLength(1);
    for (const version of versions) {
      const from = `${id}@${version}`;
      expect(candidates(world, id)).toContain(version);
      for (const [target, range] of hardRequires(world, id, version)) {
        const edge = edges.find((e) => e.from === from && e.to.startsWith(`${target}@`) && !e.optional);
        expect(edge).toBeDefined();
        expect(has(edge!.to)).toBe(true);
        expect(semver.satisfies(edge!.to.slice(target.length + 1), range)).toBe(true);
      }
      for (const [target, range] of optionalOnly(world, id, version)) {
        const used = edges.find((e) => e.from === from && e.to.startsWith(`${target}@`) && e.optional);
        const skipped = skippedOptional.find((s) => s.from === from && s.id === target && s.range === range);
        expect(used !== undefined).toBe(skipped === undefined);
        if (used) expect(semver.satisfies(used.to.slice(target.length + 1), range)).toBe(true);
        if (skipped !== undefined)
          expect(skipped.reason === "absent").toBe((world.installed.get(target) ?? []).length === 0);
      }
    }
  }
  for (const edge of edges) expect(has(edge.from) && has(edge.to)).toBe(true);
}

/** Checks that a thrown error is justified by the facts it states. */
function checkError(world: World, err: unknown): ChipsetError {
  expect(err).toBeInstanceOf(ChipsetError);
  const error = err as ChipsetError;
  if (error.code === ErrorCodes.MODULE_NOT_FOUND) {
    expect(world.roots.some((r) => (world.installed.get(r.id) ?? []).length === 0)).toBe(true);
    return error;
  }
  expect([ErrorCodes.VERSION_CONFLICT, ErrorCodes.DEPENDENCY_MISSING]).toContain(error.code);
  const steps = error.details["derivation"] as Array<{
    constraints: Array<{ from: string; id: string; range: string }>;
  }>;
  for (const { from, id, range } of steps.flatMap((s) => s.constraints)) {
    const root = world.roots.find((r) => r.id === id && (r.range ?? "*") === range);
    if (from === "the application") expect(root).toBeDefined();
    else expect(world.manifests.get(from)!.requires[id]).toBe(range);
  }
  return error;
}

/** Every subset of `items`. */
function subsets<T>(items: readonly T[]): T[][] {
  return items.reduce<T[][]>((all, item) => [...all, ...all.map((s) => [...s, item])], [[]]);
}

/**
 * Brute force: the fewest versions per module of any choice meeting every hard requirement
 * (optional ones ignored): 1 when one version per module does, more when only side by side does,
 * undefined when nothing does.
 */
function bruteForce(world: World): number | undefined {
  const ids = [...world.installed.keys()];
  const options = ids.map((id) => {
    const all = subsets(candidates(world, id));
    return world.sideBySide.has(id) ? all : all.filter((s) => s.length <= 1);
  });
  const chosen = new Map<string, string[]>();
  const valid = (): boolean =>
    world.roots.every((r) => chosen.get(r.id)!.some((v) => semver.satisfies(v, r.range ?? "*"))) &&
    [...chosen].every(([id, versions]) =>
      versions.every((v) =>
        hardRequires(world, id, v).every(([target, range]) =>
          chosen.get(target)!.some((t) => semver.satisfies(t, range)),
        ),
      ),
    );
  let best: number | undefined;
  const search = (k: number): void => {
    if (k === ids.length) {
      if (!valid()) return;
      const most = Math.max(1, ...[...chosen.values()].map((v) => v.length));
      best = best === undefined ? most : Math.min(best, most);
      return;
    }
    for (const option of options[k]!) {
      chosen.set(ids[k]!, option);
      search(k + 1);
    }
  };
  search(0);
  return best;
}

describe("selectVersions on random catalogs", () => {
  it("returns only selections that meet every constraint, and explains each failure with true facts", () => {
    fc.assert(
      fc.property(worlds(), (world) => {
        try {
          checkSelection(world, select(world));
        } catch (err) {
          if (err instanceof ChipsetError) checkError(world, err);
          else throw err;
        }
      }),
      { numRuns: 400 },
    );
  });

  it("reports no solution only when a brute-force search finds none, and uses one version per module when that is possible", () => {
    fc.assert(
      fc.property(worlds(4, 3), (world) => {
        const fewest = bruteForce(world);
        let selection: Selection;
        try {
          selection = select(world);
        } catch (err) {
          if (!(err instanceof ChipsetError)) throw err;
          checkError(world, err);
          expect(fewest).toBeUndefined();
          return;
        }
        expect(fewest).toBeDefined();
        checkSelection(world, selection);
        if (fewest === 1)
          for (const versions of selection.selected.values()) expect(versions).toHaveLength(1);
      }),
      { numRuns: 500 },
    );
  });

  it("offers only fixes that make the request solvable", () => {
    fc.assert(
      fc.property(worlds(4, 3), (world) => {
        let fixes: Array<{ kind: string; id: string; version?: string }>;
        try {
          select(world);
          return;
        } catch (err) {
          if (!(err instanceof ChipsetError) || err.code === ErrorCodes.MODULE_NOT_FOUND) return;
          fixes = err.details["fixes"] as typeof fixes;
        }
        for (const fix of fixes) {
          const fixed: World = structuredClone(world);
          if (fix.kind === "side-by-side") fixed.sideBySide.add(fix.id);
          if (fix.kind === "override") {
            for (const deps of fixed.manifests.values())
              if (fix.id in deps.requires) deps.requires[fix.id] = fix.version!;
            fixed.roots = fixed.roots.map((r) => (r.id === fix.id ? { ...r, range: fix.version! } : r));
          }
          if (fix.kind === "version")
            fixed.roots = fixed.roots.map((r) => (r.id === fix.id ? { ...r, range: fix.version! } : r));
          if (fix.kind === "install") continue; // names a version that is not installed
          expect(bruteForce(fixed)).toBeDefined();
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("the fast path", () => {
  it("gives exactly the full solver's answer whenever it answers", () => {
    // Worlds where each module has at most one installed version, so the fast path often applies
    // (random ranges still make many of them unsatisfiable, which sends them to the full solver).
    const single = worlds().map((w) => ({
      ...w,
      installed: new Map([...w.installed].map(([id, vs]) => [id, vs.slice(0, 1)])),
    }));
    expect(agreeing(single, 5000)).toBeGreaterThan(300);
  });

  it("gives exactly the full solver's answer when it takes the highest of several versions", () => {
    expect(agreeing(worlds(), 5000)).toBeGreaterThan(300);
  });
});

/** Runs `runs` random worlds; wherever the fast path answers, its answer must be the full solver's. Returns how often it answered. */
function agreeing(arbitrary: fc.Arbitrary<World>, runs: number): number {
  const sorted = (items: unknown[]) => items.map((x) => JSON.stringify(x)).sort();
  const outcome = (fn: () => Selection | undefined) => {
    try {
      const s = fn();
      if (s === undefined) return { unsolved: true };
      return {
        selected: sorted([...s.selected]),
        edges: sorted(s.edges),
        skipped: sorted(s.skippedOptional),
      };
    } catch (err) {
      return { error: (err as ChipsetError).code };
    }
  };
  let answered = 0;
  fc.assert(
    fc.property(arbitrary, (world) => {
      // The fast path and the greedy solver choose one version per module: singletons only here.
      world.sideBySide.clear();
      const fast = quickSelect(world.roots, catalogOf(world), world.pinned);
      if (fast === undefined) return;
      answered++;
      const full = outcome(() => solveFully(world.roots, catalogOf(world), world.pinned));
      expect(outcome(() => fast)).toEqual(full);
    }),
    { numRuns: runs },
  );
  return answered;
}
