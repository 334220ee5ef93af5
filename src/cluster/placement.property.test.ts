import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  matchesPlacement,
  place,
  placementKey,
  type PlacementInput,
  type PlacementNode,
  type PlacementRequest,
  type PlacementResult,
} from "./placement.js";

const NAMES = Array.from({ length: 14 }, (_, i) => `node-${i}`);

/** A node with some of the labels zone (a..c) and disk (ssd, hdd); alive most of the time. */
const labels = fc.record(
  { zone: fc.constantFrom("a", "b", "c"), disk: fc.constantFrom("ssd", "hdd") },
  { requiredKeys: [] },
);
const nodesArb = fc
  .uniqueArray(fc.constantFrom(...NAMES), { minLength: 0, maxLength: 10 })
  .chain((names) =>
    fc.tuple(...names.map((name) => fc.record({ name: fc.constant(name), labels, alive: fc.boolean() }))),
  )
  .map((nodes): PlacementNode[] => nodes.map((n) => (n.alive ? { name: n.name, labels: n.labels } : n)));

const placementArb = fc.option(
  fc.record(
    {
      nodes: fc.record(
        {
          zone: fc.uniqueArray(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 2 }),
          disk: fc.constant<string[]>(["ssd"]),
        },
        { requiredKeys: [] },
      ),
      spread: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);
const modulesArb = fc.uniqueArray(
  fc.record({
    id: fc.constantFrom("video-player", "@acme/codec", "lib", "x"),
    version: fc.constantFrom("1.0.0", "2.0.0-beta.1"),
    replicas: fc.integer({ min: 0, max: 12 }),
    perNodeMax: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    placement: placementArb,
  }),
  { maxLength: 6, selector: (m) => placementKey(m.id, m.version) },
);
const inputArb = fc
  .record({ nodes: nodesArb, modules: modulesArb })
  .map(({ nodes, modules }): PlacementInput => ({ nodes, modules: modules.map(compact) }));

/** Drops undefined fields, as a caller building the request from JSON would. */
function compact(m: PlacementRequest): PlacementRequest {
  return Object.fromEntries(
    Object.entries(m).filter(([, v]) => v !== undefined),
  ) as unknown as PlacementRequest;
}

function countsOf(nodes: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of nodes) out.set(name, (out.get(name) ?? 0) + 1);
  return out;
}

/** The live nodes `module` may run on. */
function eligible(input: PlacementInput, module: PlacementRequest): PlacementNode[] {
  return input.nodes.filter((n) => n.alive !== false && matchesPlacement(n, module.placement));
}

function plain(result: PlacementResult) {
  return {
    assignments: [...result.assignments],
    unsatisfiable: result.unsatisfiable,
    wrapped: result.wrapped,
  };
}

describe("placement, for random nodes and modules", () => {
  it("gives the same answer whatever order the nodes and modules come in", () => {
    fc.assert(
      fc.property(
        inputArb.chain((input) =>
          fc.record({
            input: fc.constant(input),
            nodes: fc.shuffledSubarray([...input.nodes], { minLength: input.nodes.length }),
            modules: fc.shuffledSubarray([...input.modules], { minLength: input.modules.length }),
          }),
        ),
        ({ input, nodes, modules }) => {
          expect(plain(place({ nodes, modules }))).toEqual(plain(place(input)));
        },
      ),
    );
  });

  it("places every replica on a live node that matches, within perNodeMax, and reports what does not fit", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = place(input);
        for (const module of input.modules) {
          const key = placementKey(module.id, module.version);
          const nodes = result.assignments.get(key)!;
          const allowed = new Set(eligible(input, module).map((n) => n.name));
          for (const name of nodes) expect(allowed.has(name)).toBe(true);
          for (const n of countsOf(nodes).values())
            expect(n).toBeLessThanOrEqual(module.perNodeMax ?? Infinity);
          const capacity = allowed.size * (module.perNodeMax ?? Infinity);
          expect(nodes.length).toBe(allowed.size === 0 ? 0 : Math.min(module.replicas, capacity));
          const short = result.unsatisfiable.find((u) => u.key === key);
          if (nodes.length < module.replicas) {
            expect(short).toMatchObject({ wanted: module.replicas, placed: nodes.length });
            if (allowed.size === 0 && input.nodes.some((n) => n.alive !== false) && module.placement?.nodes)
              for (const name of Object.keys(module.placement.nodes))
                expect(short?.reason).toContain(`${name}=`);
          } else expect(short).toBeUndefined();
        }
      }),
    );
  });

  it("spreads replicas over distinct nodes while there are enough, then evenly", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = place(input);
        for (const module of input.modules.filter((m) => m.placement?.spread === true)) {
          const key = placementKey(module.id, module.version);
          const nodes = result.assignments.get(key)!;
          const allowed = eligible(input, module);
          const counts = countsOf(nodes);
          if (nodes.length <= allowed.length) expect(counts.size).toBe(nodes.length);
          const perNode = allowed.map((n) => counts.get(n.name) ?? 0);
          if (perNode.length > 0) expect(Math.max(...perNode) - Math.min(...perNode)).toBeLessThanOrEqual(1);
          expect(result.wrapped.some((w) => w.key === key)).toBe(nodes.length > allowed.length);
        }
      }),
    );
  });

  it("moves only the replicas of a node that leaves", () => {
    fc.assert(
      fc.property(
        inputArb.chain((input) =>
          fc.record({ input: fc.constant(input), gone: fc.constantFrom(...NAMES), how: fc.boolean() }),
        ),
        ({ input, gone, how }) => {
          const before = place(input);
          // Gone from the list, or still listed but lost: the same to placement.
          const nodes = how
            ? input.nodes.filter((n) => n.name !== gone)
            : input.nodes.map((n) => (n.name === gone ? { ...n, alive: false } : n));
          const after = place({ ...input, nodes });
          for (const [key, was] of before.assignments) {
            const old = countsOf(was);
            const now = countsOf(after.assignments.get(key)!);
            expect(now.get(gone) ?? 0).toBe(0);
            for (const [name, n] of old)
              if (name !== gone) expect(now.get(name) ?? 0).toBeGreaterThanOrEqual(n);
          }
        },
      ),
    );
  });

  it("lets a node that joins take at most its share, from the others only", () => {
    fc.assert(
      fc.property(
        inputArb.chain((input) =>
          fc.record({
            input: fc.constant(input),
            joiner: fc.record({ name: fc.constant("joiner"), labels }),
          }),
        ),
        ({ input, joiner }) => {
          const before = place(input);
          const after = place({ ...input, nodes: [...input.nodes, joiner] });
          for (const module of input.modules) {
            const key = placementKey(module.id, module.version);
            const old = countsOf(before.assignments.get(key)!);
            const nodes = after.assignments.get(key)!;
            const now = countsOf(nodes);
            for (const [name, n] of now)
              if (name !== "joiner") expect(n).toBeLessThanOrEqual(old.get(name) ?? 0);
            if (module.placement?.spread === true) {
              const k = eligible({ ...input, nodes: [...input.nodes, joiner] }, module).length;
              expect(now.get("joiner") ?? 0).toBeLessThanOrEqual(k === 0 ? 0 : Math.ceil(nodes.length / k));
            }
          }
        },
      ),
    );
  });
});
