/**
 * Benchmark 3: resolve and order a 10,000-module, 50,000-edge random DAG (cycle check included)
 * with Chipset's `orderLevels`, against a bare Kahn's algorithm (the floor), `dependency-graph`
 * and `toposort`; then a 10,000-long chain (stack depth), and the same DAG with one cycle added.
 * Every timed run starts from the same input (a node list and a Map of dependency lists) and
 * includes building the peer's own structure.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sampleInChild } from "./lib/child.mjs";
import { removeDir, tempDir } from "./lib/fixtures.mjs";
import { CONTENDERS, chain, check, kahn, randomDag } from "./lib/graphs.mjs";
import { HEADER, collect, ms, ratio, row, summarize, table, x } from "./lib/stats.mjs";

const CHILD = new URL("./child/graph.child.mjs", import.meta.url).pathname;

function time(fn, input) {
  const t0 = performance.now();
  const out = fn(input);
  return [performance.now() - t0, out];
}

/** What `fn` does with `input`: ok with the time, or the error it throws. */
function attempt(fn, input) {
  const t0 = performance.now();
  try {
    fn(input);
    return { ok: true, ms: performance.now() - t0 };
  } catch (err) {
    return {
      ok: false,
      ms: performance.now() - t0,
      error: `${err?.constructor?.name ?? "Error"}: ${err?.message ?? err}`,
      code: err?.code,
    };
  }
}

export async function run({ samples = 25, warmup = 5, coldSamples = 12, n = 10_000, m = 50_000 } = {}) {
  const dag = randomDag(n, m, 7);
  for (const [name, fn] of CONTENDERS) check(name, dag, fn(dag));

  const times = new Map(CONTENDERS.map(([name]) => [name, []]));
  for (let i = 0; i < warmup + samples; i++) {
    // rotate who goes first, so no contender always runs right after a collection
    for (let k = 0; k < CONTENDERS.length; k++) {
      const [name, fn] = CONTENDERS[(i + k) % CONTENDERS.length];
      collect();
      const [elapsed] = time(fn, dag);
      if (i >= warmup) times.get(name).push(elapsed);
    }
  }
  const stats = Object.fromEntries([...times].map(([name, list]) => [name, summarize(list)]));
  const base = stats["chipset orderLevels"];
  const ratios = {};
  for (const [name] of CONTENDERS.slice(1)) ratios[name] = ratio(base, stats[name]);
  const rows = CONTENDERS.map(([name], i) =>
    row(name, stats[name], i === 0 ? "1.00x" : `${x(ratios[name])} (chipset/this)`),
  );
  console.log(
    `\n## 3. order a ${n}-module, ${m}-edge random DAG, cycle check included (warm: same process, repeated)`,
  );
  console.log(table(HEADER, rows));

  // ---- first call in a fresh process (nothing compiled yet) ----
  const coldTimes = new Map(CONTENDERS.map(([name]) => [name, []]));
  const dir = tempDir("graph");
  try {
    const file = join(dir, "dag.json");
    writeFileSync(file, JSON.stringify({ nodes: dag.nodes, deps: [...dag.deps] }));
    for (let i = 0; i < coldSamples; i++) {
      for (let k = 0; k < CONTENDERS.length; k++) {
        const sample = await sampleInChild(CHILD, [String(k), file]);
        coldTimes.get(sample.name).push(sample.ms);
      }
    }
  } finally {
    removeDir(dir);
  }
  const cold = Object.fromEntries([...coldTimes].map(([name, list]) => [name, summarize(list)]));
  const coldRatios = {};
  for (const [name] of CONTENDERS.slice(1)) coldRatios[name] = ratio(cold["chipset orderLevels"], cold[name]);
  const coldRows = CONTENDERS.map(([name], i) =>
    row(name, cold[name], i === 0 ? "1.00x" : `${x(coldRatios[name])} (chipset/this)`),
  );
  console.log("\nthe same, first call in a fresh process (cold: nothing compiled yet):");
  console.log(table(HEADER, coldRows));

  // ---- a 10,000-long chain: recursion depth ----
  const long = chain(n);
  console.log(`\n${n}-long chain (each module requires the previous one):`);
  const chainResults = {};
  for (const [name, fn] of CONTENDERS) {
    const result = attempt(fn, long);
    if (result.ok) check(name, long, fn(long));
    chainResults[name] = result;
    console.log(`  ${name.padEnd(30)} ${result.ok ? `ok, ${ms(result.ms)} ms` : `THROWS ${result.error}`}`);
  }

  // ---- the DAG plus one back edge: every contender must report the cycle ----
  const cyclic = { nodes: dag.nodes, deps: new Map(dag.deps) };
  const order = kahn(dag);
  const [first, last] = [order[0], order[order.length - 1]];
  cyclic.deps.set(first, [...dag.deps.get(first), last]); // the first now needs the last: a cycle
  console.log(`\nthe same DAG plus one back edge (${first} -> ${last}):`);
  const cycleResults = {};
  for (const [name, fn] of CONTENDERS) {
    const result = attempt(fn, cyclic);
    cycleResults[name] = result;
    const message = result.error?.length > 110 ? `${result.error.slice(0, 107)}...` : result.error;
    console.log(
      `  ${name.padEnd(30)} ${result.ok ? "did NOT detect the cycle" : `detected in ${ms(result.ms)} ms: ${message}`}`,
    );
  }

  const chipsetChain = chainResults["chipset orderLevels"];
  const toposortChain = chainResults["toposort.array"];
  const targets = [
    {
      name: `${n}/${m} DAG ordered in < 15 ms (warm median)`,
      value: `${ms(base.median)} ms`,
      met: base.median < 15,
    },
    {
      name: `${n}/${m} DAG ordered in < 15 ms (cold, first call)`,
      value: `${ms(cold["chipset orderLevels"].median)} ms`,
      met: cold["chipset orderLevels"].median < 15,
    },
    {
      name: `${n}-long chain: chipset does not overflow the stack`,
      value: chipsetChain.ok ? "ok" : chipsetChain.error,
      met: chipsetChain.ok,
    },
    {
      name: `${n}-long chain: toposort throws RangeError (reported)`,
      value: toposortChain.ok ? "did not throw" : toposortChain.error.slice(0, 60),
      met: !toposortChain.ok && toposortChain.error.startsWith("RangeError"),
    },
    {
      name: "cycle detected by chipset (CHIP_ERR_DEPENDENCY_CYCLE)",
      value: cycleResults["chipset orderLevels"].code ?? "no",
      met: !cycleResults["chipset orderLevels"].ok,
    },
  ];
  return {
    name: "graph",
    graph: { nodes: n, edges: m },
    stats,
    ratios,
    cold,
    coldRatios,
    coldRows,
    chain: chainResults,
    cycle: cycleResults,
    targets,
    rows,
  };
}
