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

/** Random small worlds; with `sameDepsForAllVersions`, a module's requirements do not depend on its version. */
function worlds(sameDepsForAllVersions: boolean): fc.Arbitrary<World> {
  return fc
    .record({
      versions: fc.array(fc.subarray([...VERSIONS]), { minLength: IDS.length, maxLength: IDS.length }),
      deps: fc.array(depsArb, {
        minLength: IDS.length * VERSIONS.length,
        maxLength: IDS.length * VERSIONS.length,
      }),
      roots: fc.array(
        fc.record({
          id: fc.constantFrom(...IDS),
          range: fc.option(fc.constantFrom(...RANGES), { nil: undefined }),
        }),
        {
          minLength: 1,
          maxLength: 2,
        },
      ),
      pins: fc.array(fc.tuple(fc.nat(IDS.length - 1), fc.nat(VERSIONS.length - 1)), { maxLength: 1 }),
    })
    .map(({ versions, deps, roots, pins }) => {
      const installed = new Map(IDS.map((id, i) => [id, versions[i]!]));
      const manifests = new Map<string, Deps>();
      IDS.forEach((id, i) =>
        VERSIONS.forEach((v, j) =>
          manifests.set(`${id}@${v}`, deps[sameDepsForAllVersions ? i : i * VERSIONS.length + j]!),
        ),
      );
      const pinned = new Map<string, string>();
      for (const [i, j] of pins) {
        const candidates = installed.get(IDS[i]!)!;
        if (candidates.length > 0) pinned.set(IDS[i]!, candidates[j % candidates.length]!);
      }
      return {
        installed,
        manifests,
        roots: roots.map((r) => (r.range === undefined ? { id: r.id } : r)),
        pinned,
      };
    });
}

function catalogOf(world: World): VersionCatalog {
  return {
    versions: (id) => world.installed.get(id) ?? [],
    manifest: (id, version) => world.manifests.get(`${id}@${version}`)!,
  };
}

function candidates(world: World, id: string): string[] {
  const pin = world.pinned.get(id);
  return pin !== undefined ? [pin] : (world.installed.get(id) ?? []);
}

function hardRequires(world: World, id: string, version: string): Array<[string, string]> {
  return Object.entries(world.manifests.get(`${id}@${version}`)!.requires);
}

function optionalOnly(world: World, id: string, version: string): Array<[string, string]> {
  const deps = world.manifests.get(`${id}@${version}`)!;
  return Object.entries(deps.optional).filter(([target]) => !(target in deps.requires));
}

/** Checks everything a returned selection promises. */
function checkSelection(world: World, selection: Selection): void {
  const { selected, edges, skippedOptional } = selection;
  const on = new Map<string, string[]>();
  const add = (id: string, range: string) => on.set(id, [...(on.get(id) ?? []), range]);
  for (const root of world.roots) {
    expect(selected.has(root.id)).toBe(true);
    add(root.id, root.range ?? "*");
  }
  for (const [id, version] of selected) {
    expect(candidates(world, id)).toContain(version);
    for (const [target, range] of hardRequires(world, id, version)) {
      expect(selected.has(target)).toBe(true);
      expect(edges).toContainEqual({ from: id, to: target, optional: false });
      add(target, range);
    }
    for (const [target, range] of optionalOnly(world, id, version)) {
      const used = edges.some((e) => e.from === id && e.to === target && e.optional);
      const skipped = skippedOptional.find((s) => s.from === id && s.id === target && s.range === range);
      expect(used !== (skipped !== undefined)).toBe(true);
      if (used) add(target, range);
      if (skipped !== undefined)
        expect(skipped.reason === "absent").toBe(candidates(world, target).length === 0);
    }
  }
  for (const edge of edges) expect(selected.has(edge.from) && selected.has(edge.to)).toBe(true);
  for (const [id, version] of selected) {
    const ranges = on.get(id) ?? [];
    // Needed by someone, satisfies every constraint on it, and is the highest version that does.
    expect(ranges.length).toBeGreaterThan(0);
    const fits = (v: string) => ranges.every((r) => semver.satisfies(v, r));
    expect(fits(version)).toBe(true);
    for (const other of candidates(world, id)) if (semver.gt(other, version)) expect(fits(other)).toBe(false);
  }
}

/** Checks that a thrown error is justified by the facts it states. */
function checkError(world: World, err: unknown): ChipsetError {
  expect(err).toBeInstanceOf(ChipsetError);
  const error = err as ChipsetError;
  const module = error.details["module"] as string;
  const constraints = (error.details["constraints"] ?? []) as Array<{ from: string; range: string }>;
  for (const { from, range } of constraints) {
    if (from === "(requested)")
      expect(world.roots.some((r) => r.id === module && (r.range ?? "*") === range)).toBe(true);
    else {
      const at = from.lastIndexOf("@");
      expect(world.manifests.get(from)!.requires[module] ?? world.manifests.get(from)!.optional[module]).toBe(
        range,
      );
      expect(candidates(world, from.slice(0, at))).toContain(from.slice(at + 1));
    }
  }
  if (error.code === ErrorCodes.MODULE_NOT_FOUND || error.code === ErrorCodes.DEPENDENCY_MISSING) {
    expect(candidates(world, module)).toEqual([]);
  } else {
    expect(error.code).toBe(ErrorCodes.VERSION_CONFLICT);
    if (error.details["unsettled"] !== true) {
      expect(
        candidates(world, module).some((v) => constraints.every((c) => semver.satisfies(v, c.range))),
      ).toBe(false);
    }
  }
  return error;
}

/** Brute force: is there any choice of versions meeting every hard constraint (optional ones ignored)? */
function solvable(world: World): boolean {
  const ids = [...IDS];
  const assignment = new Map<string, string | undefined>();
  const valid = (): boolean =>
    world.roots.every((r) => {
      const v = assignment.get(r.id);
      return v !== undefined && semver.satisfies(v, r.range ?? "*");
    }) &&
    [...assignment].every(
      ([id, v]) =>
        v === undefined ||
        hardRequires(world, id, v).every(([target, range]) => {
          const t = assignment.get(target);
          return t !== undefined && semver.satisfies(t, range);
        }),
    );
  const search = (k: number): boolean => {
    if (k === ids.length) return valid();
    for (const v of [undefined, ...candidates(world, ids[k]!)]) {
      assignment.set(ids[k]!, v);
      if (search(k + 1)) return true;
    }
    return false;
  };
  return search(0);
}

describe("selectVersions on random catalogs", () => {
  it("returns only selections where every chosen version is the highest meeting every constraint on it", () => {
    fc.assert(
      fc.property(worlds(false), (world) => {
        try {
          checkSelection(world, selectVersions(world.roots, catalogOf(world), world.pinned));
        } catch (err) {
          if (err instanceof ChipsetError) checkError(world, err);
          else throw err;
        }
      }),
      { numRuns: 400 },
    );
  });

  it("fails exactly when no choice of versions meets the hard constraints, when requirements do not vary by version", () => {
    fc.assert(
      fc.property(worlds(true), (world) => {
        const exists = solvable(world);
        try {
          checkSelection(world, selectVersions(world.roots, catalogOf(world), world.pinned));
        } catch (err) {
          if (!(err instanceof ChipsetError)) throw err;
          checkError(world, err);
          expect(exists).toBe(false);
          return;
        }
        expect(exists).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("the single-candidate fast path", () => {
  const sorted = (items: unknown[]) => items.map((x) => JSON.stringify(x)).sort();
  const outcome = (fn: () => Selection) => {
    try {
      const s = fn();
      return {
        selected: sorted([...s.selected]),
        edges: sorted(s.edges),
        skipped: sorted(s.skippedOptional),
      };
    } catch (err) {
      return { error: (err as ChipsetError).code };
    }
  };

  it("gives exactly the full solver's answer whenever it answers", () => {
    // Worlds where each module has at most one installed version, so the fast path often applies
    // (random ranges still make many of them unsatisfiable, which sends them to the full solver).
    const single = worlds(false).map((w) => ({
      ...w,
      installed: new Map([...w.installed].map(([id, vs]) => [id, vs.slice(0, 1)])),
    }));
    let answered = 0;
    fc.assert(
      fc.property(single, (world) => {
        const fast = quickSelect(world.roots, catalogOf(world), world.pinned);
        if (fast === undefined) return;
        answered++;
        const full = outcome(() => solveFully(world.roots, catalogOf(world), world.pinned));
        expect(outcome(() => fast)).toEqual(full);
      }),
      { numRuns: 5000 },
    );
    expect(answered).toBeGreaterThan(300);
  });
});
