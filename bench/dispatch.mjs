/**
 * Benchmark 12: dispatch overhead (issue 14). What one pick of each dispatch strategy costs, for
 * pools of 2, 4 and 16 candidates, against a trivial peer in the same run: `candidates[i++ % n]`
 * behind the same `pick(candidates, request)` call (the floor any dispatcher pays). One sample is
 * one contender making `picks` picks through one shared call site (as the dispatcher has: one
 * call into whichever strategy the pool uses); a round samples every contender once, in an order
 * that rotates from round to round, so drift hits them alike. The candidates' in-flight counts
 * move on every pick (one call starts, an earlier one ends), so least_loaded, consistent_hash's
 * bounded load and score see a changing pool; keys cycle through 1,024 distinct strings.
 * Figures are CPU time of this thread per pick (process.cpuUsage), not wall time: on a shared
 * machine the wall clock counts the time the thread waited for a core.
 * In process: the strategies are pure code, nothing of the runtime is involved.
 */
import { StrategyRegistry } from "../dist/dispatch/strategies.js";
import { median, summarize, table, x } from "./lib/stats.mjs";
import { prng } from "./lib/stats.mjs";

export const SIZES = [2, 4, 16];
export const CONTENDERS = [
  "baseline",
  "round_robin",
  "least_loaded",
  "least_loaded_weighted",
  "weighted_random",
  "capability",
  "affinity",
  "consistent_hash_ring",
  "consistent_hash_maglev",
  "score",
];
const LABELS = {
  baseline: "peer: candidates[i++ % n]",
  round_robin: "round_robin (smooth weighted)",
  least_loaded: "least_loaded, equal weights (two choices)",
  least_loaded_weighted: "least_loaded, unequal weights (bias 1)",
  weighted_random: "weighted_random",
  capability: "capability (2 required)",
  affinity: "affinity (key + label)",
  consistent_hash_ring: "consistent_hash ring, bounded 1.25",
  consistent_hash_maglev: "consistent_hash maglev, bounded 1.25",
  score: "score (type, 2 capabilities, label)",
};
/** Targets of issue 14, ns per pick. */
const TARGET_NS = {
  round_robin: 200,
  least_loaded: 200,
  least_loaded_weighted: 200,
  consistent_hash_ring: 1000,
  consistent_hash_maglev: 1000,
  score: 1000,
};

function pool(n, random) {
  const capabilities = ["contract.execute", "gas.metering", "crypto.verify"];
  return Array.from({ length: n }, (_, i) => ({
    key: `bench-engine@1.0.0#${i}`,
    module: "bench-engine",
    engineType: "wasm",
    capabilities: i % 2 === 0 ? capabilities : capabilities.slice(0, 2),
    labels: { zone: i % 3 === 0 ? "a" : "b" },
    weight: 1,
    maxConcurrent: 16,
    effectiveWeight: 1,
    inflight: Math.floor(random() * 8),
    meanMs: 5 + random() * 10,
    health: "healthy",
  }));
}

/** The strategy (or the peer) each contender picks with, for one pool. */
function contender(name, registry, random) {
  if (name === "baseline") {
    let i = 0;
    return { pick: (candidates) => candidates[i++ % candidates.length] };
  }
  if (name === "least_loaded_weighted") return registry.create("least_loaded", { random });
  if (name.startsWith("consistent_hash_"))
    return registry.create("consistent_hash", { hash: { algorithm: name.slice(16), loadFactor: 1.25 } });
  return registry.create(name, { random });
}

/**
 * `picks` picks: CPU ns per pick (this thread's user + system time, so that other work on the
 * machine preempting it is not counted; nothing here allocates, so no collector thread adds to
 * it). One call site for every contender, as in a dispatcher.
 */
function sample(strategy, candidates, requests, picks) {
  const n = candidates.length;
  const mask = requests.length - 1;
  let sink = 0;
  const t = process.cpuUsage();
  for (let i = 0; i < picks; i++) {
    const c = strategy.pick(candidates, requests[i & mask]);
    // One call starts on the pick, one ends elsewhere: the load moves, the total stays.
    c.inflight++;
    const other = candidates[(i * 7 + 3) % n];
    if (other.inflight > 0) other.inflight--;
    sink += c.inflight;
  }
  const used = process.cpuUsage(t);
  if (sink < 0) throw new Error("unreachable");
  return ((used.user + used.system) * 1000) / picks;
}

export async function run({ rounds = 15, picks = 200_000, warmup = 50_000 } = {}) {
  const registry = new StrategyRegistry();
  const random = prng(14);
  const requests = Array.from({ length: 1024 }, (_, i) => ({
    type: "wasm",
    capabilities: ["contract.execute", "gas.metering"],
    labels: { zone: "a" },
    key: `tenant-${i}/contract-${(i * 7919) % 1000}`,
  }));
  const times = {};
  for (const n of SIZES) {
    times[n] = Object.fromEntries(CONTENDERS.map((c) => [c, []]));
    const pools = Object.fromEntries(CONTENDERS.map((c) => [c, pool(n, random)]));
    // Unequal weights for the weighted variant: one replica of weight 2.
    pools.least_loaded_weighted[0].weight = pools.least_loaded_weighted[0].effectiveWeight = 2;
    const strategies = Object.fromEntries(CONTENDERS.map((c) => [c, contender(c, registry, random)]));
    for (const c of CONTENDERS) sample(strategies[c], pools[c], requests, warmup);
    for (let r = 0; r < rounds; r++)
      for (let k = 0; k < CONTENDERS.length; k++) {
        const c = CONTENDERS[(k + r) % CONTENDERS.length];
        times[n][c].push(sample(strategies[c], pools[c], requests, picks));
      }
  }
  const stats = Object.fromEntries(
    SIZES.map((n) => [n, Object.fromEntries(CONTENDERS.map((c) => [c, summarize(times[n][c])]))]),
  );
  const paired = (n, c) => median(times[n][c].map((v, r) => v - times[n].baseline[r]));
  const fmt = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  const tables = [
    {
      title: "12.1 CPU ns per pick (median over the rounds), and the ratio to the peer",
      header: ["strategy", ...SIZES.flatMap((n) => [`n=${n}`, `ratio to peer`])],
      rows: CONTENDERS.map((c) => [
        LABELS[c],
        ...SIZES.flatMap((n) => [
          fmt(stats[n][c].median),
          c === "baseline" ? "1.00x" : x(stats[n][c].median / stats[n].baseline.median),
        ]),
      ]),
    },
    {
      title: "12.2 CPU ns each strategy adds over the peer (paired per round; median)",
      header: ["strategy", ...SIZES.map((n) => `n=${n}`)],
      rows: CONTENDERS.filter((c) => c !== "baseline").map((c) => [
        LABELS[c],
        ...SIZES.map((n) => fmt(paired(n, c))),
      ]),
    },
  ];
  console.log("\n## 12. Dispatch overhead: ns per pick of each strategy against candidates[i++ % n]");
  for (const t of tables) console.log(`\n### ${t.title}\n${table(t.header, t.rows)}`);
  console.log(
    `\n${rounds} rounds of ${picks.toLocaleString("en-US")} picks per contender and size (after ${warmup.toLocaleString("en-US")} to warm up); the loop's own bookkeeping is in every figure, the peer's included.`,
  );
  const ratios = {};
  for (const n of SIZES)
    for (const c of CONTENDERS) {
      ratios[`${c}_${n}_ns`] = stats[n][c].median;
      ratios[`${c}_${n}_vsPeer`] = stats[n][c].median / stats[n].baseline.median;
    }
  const targets = [];
  for (const [c, limit] of Object.entries(TARGET_NS))
    for (const n of SIZES)
      targets.push({
        name: `${c} < ${limit} ns per pick, ${n} candidates`,
        value: `${fmt(stats[n][c].median)} ns`,
        met: stats[n][c].median < limit,
      });
  return {
    name: "dispatch",
    settings: { rounds, picks, warmup, sizes: SIZES },
    stats,
    ratios,
    targets,
    tables,
  };
}
