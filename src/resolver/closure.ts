/**
 * `starts` and every node they depend on, directly or transitively, in breadth-first order
 * (what must be running before `starts` can start). Iterative; cycles are fine.
 */
export function dependenciesClosure(
  starts: Iterable<string>,
  dependenciesOf: (node: string) => Iterable<string>,
): Set<string> {
  const seen = new Set(starts);
  // A Set iterates over entries added during the iteration, which makes it its own queue.
  for (const node of seen) for (const dep of dependenciesOf(node)) seen.add(dep);
  return seen;
}

/**
 * `starts` and every node of `nodes` that depends on one of them, directly or transitively, in
 * breadth-first order (what must stop before `starts` stop). Dependencies outside `nodes` are ignored.
 */
export function dependentsClosure(
  starts: Iterable<string>,
  nodes: readonly string[],
  dependenciesOf: (node: string) => Iterable<string>,
): Set<string> {
  const dependents = new Map<string, string[]>();
  for (const node of nodes) {
    for (const dep of dependenciesOf(node)) {
      const list = dependents.get(dep);
      if (list === undefined) dependents.set(dep, [node]);
      else list.push(node);
    }
  }
  return dependenciesClosure(starts, (node) => dependents.get(node) ?? []);
}
