/**
 * Benchmark 5: call policies. What Chipset's policy pipeline (timeout, retry, circuit breaker,
 * bulkhead) adds to a call, against cockatiel and opossum guarding the same function, in one run:
 *   - bare: `await inc(i)`, where `inc` is `async (x) => x + 1`;
 *   - `runtime.call(id, "inc", [i])` into an inline module registered in code whose api is that
 *     `inc`, without policies and with every one (`FULL_POLICIES`), in a default runtime and in
 *     one made with `inlineCrashes: false`;
 *   - cockatiel: `wrap(retry, circuitBreaker, timeout, bulkhead).execute(() => inc(i))`;
 *   - opossum: `new CircuitBreaker(inc, { timeout: 1000 }).fire(i)`, and with `timeout: false`.
 * Each 1 in flight (sequential awaits) and 64 in flight (batches of 64 under Promise.all), in ns
 * per call. One sample is one contender making `calls` calls (cockatiel a quarter of them: it is
 * about 20x slower, and its samples last about as long as the others' that way); a round samples every
 * contender once, in an order that rotates from round to round, so drift hits them alike.
 *
 * Every contender runs in one fresh child process (bench/child/policies.child.mjs), so nothing an earlier
 * suite did in the parent (AsyncLocalStorage entered, JIT feedback from its runtimes) colours it.
 * The child runs two phases, because of AsyncLocalStorage: inline crash attribution (on by
 * default) runs each inline call in the store behind `currentCall()`, and once a store has been
 * entered every promise in the process pays an async hook, until the end of the process (Chipset
 * never disables it). Turning it off between samples is not enough: the contenders measured so
 * still ran 20-800 ns slower than in a process that never had it (most likely because code shared
 * by both runtimes had seen promises of both shapes). So:
 *   A. no AsyncLocalStorage in the process yet: bare, the `inlineCrashes: false` runtime,
 *      cockatiel, opossum (what an application without a default runtime sees);
 *   B. after the default runtime's first inline call: every contender again, the default
 *      runtime's two included (what an application with a default runtime sees: all pay).
 * Within a phase every figure is paired with the bare of the same round; a comparison across the
 * phases (what the store costs a bare await; the default runtime against a process without it)
 * is a difference of medians taken some seconds apart, and says so.
 *
 * Nothing is made per round: two runtimes, one cockatiel policy and two opossum breakers serve
 * every sample, and are closed or shut down at the end; the child then checks that no handle or
 * process listener outlived them, and reports what each contender left on the heap over the run.
 */
import { sampleInChild } from "./lib/child.mjs";
import { median, summarize, table, x } from "./lib/stats.mjs";

/** The child that measures (bench/child/policies.child.mjs). */
const CHILD = new URL("./child/policies.child.mjs", import.meta.url);

export const IN_FLIGHT = [1, 64];
export const PLAIN = "bench-pol-plain";
export const FULL = "bench-pol-full";
/** Every policy on: what the target is about. */
export const FULL_POLICIES = {
  timeoutMs: 1000,
  idempotent: true,
  retry: { maxAttempts: 3 },
  breaker: {},
  bulkhead: { maxConcurrent: 1000, maxQueue: 1000 },
};
/** Fraction of `calls` a cockatiel sample makes. */
export const COCKATIEL_SHARE = 1 / 4;

export const LABELS = {
  bare: "bare: await inc(i)",
  callNoAls: "chipset runtime.call, no policies (inlineCrashes: false)",
  pipelineNoAls: "chipset runtime.call, full pipeline (inlineCrashes: false)",
  call: "chipset runtime.call, no policies (default runtime)",
  pipeline: "chipset runtime.call, full pipeline (default runtime)",
  cockatiel: "cockatiel wrap(retry, breaker, timeout, bulkhead)",
  opossum: "opossum fire(), timeout 1000",
  opossumNoTimeout: "opossum fire(), timeout: false",
};
/** `calls` scaled by `share`, a multiple of 64 (the batch width), at least 64. */
export const scaled = (calls, share) => Math.max(64, Math.round((calls * share) / 64) * 64);
/** The contenders of each phase (see the top of this file). */
export const PHASES = {
  A: ["bare", "callNoAls", "pipelineNoAls", "cockatiel", "opossum", "opossumNoTimeout"],
  B: ["bare", "callNoAls", "pipelineNoAls", "call", "pipeline", "cockatiel", "opossum", "opossumNoTimeout"],
};

/** Runs the measurement in a fresh process with --expose-gc (and `BENCH_CHILD_FLAGS`, e.g. --cpu-prof). */
function inChild(options) {
  return sampleInChild(CHILD, [JSON.stringify(options)], { execArgv: ["--expose-gc"] });
}

/** ns, as an integer with separators. */
const ns = (value) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "-");
/** A signed difference in ns. */
const dns = (value) => (Number.isFinite(value) ? `${value >= 0 ? "+" : ""}${ns(value)}` : "-");

/** Medians, p95s and paired differences of the raw samples `phases` (phase -> width -> key -> ns[]). */
function analyse(phases) {
  const stats = {};
  for (const [phase, { times }] of Object.entries(phases))
    stats[phase] = Object.fromEntries(
      IN_FLIGHT.map((w) => [
        w,
        Object.fromEntries(Object.entries(times[w]).map(([k, v]) => [k, summarize(v)])),
      ]),
    );
  // What `a` adds to `b` in one phase: the median over the rounds of the round's difference (the
  // two were sampled moments apart, so the load they shared cancels out).
  const paired = (phase, w, a, b) => {
    const t = phases[phase].times[w];
    return median(t[a].map((v, r) => v - t[b][r]));
  };
  // Across the phases: a difference of medians, some seconds apart.
  const across = (w, [pa, a], [pb, b]) => stats[pa][w][a].median - stats[pb][w][b].median;
  return { stats, paired, across };
}

function phaseTable(title, phase, { stats, paired }) {
  const rows = [];
  for (const width of IN_FLIGHT) {
    const s = stats[phase][width];
    rows.push([`${width} in flight`, "", "", "", "", "", ""]);
    for (const key of PHASES[phase]) {
      const c = s[key];
      rows.push([
        `  ${LABELS[key]}`,
        ns(c.median),
        ns(c.p95),
        String(c.n),
        key === "bare" ? "0" : dns(paired(phase, width, key, "bare")),
        x(c.median / s.cockatiel.median),
        x(c.median / s.opossum.median),
      ]);
    }
  }
  const header = ["case", "median ns", "p95 ns", "n", "added vs bare ns (paired)", "ratio to cockatiel"];
  return { title, header: [...header, "ratio to opossum"], rows };
}

function shareTable({ paired, across }) {
  const parts = [
    [
      "A: runtime.call without policies, over bare (inlineCrashes: false)",
      (w) => paired("A", w, "callNoAls", "bare"),
    ],
    [
      "A: the policies, over runtime.call (inlineCrashes: false)",
      (w) => paired("A", w, "pipelineNoAls", "callNoAls"),
    ],
    ["B: the policies, over runtime.call (default runtime)", (w) => paired("B", w, "pipeline", "call")],
    [
      "B: inline crash attribution, no policies (default over inlineCrashes: false)",
      (w) => paired("B", w, "call", "callNoAls"),
    ],
    [
      "B: inline crash attribution, full pipeline (default over inlineCrashes: false)",
      (w) => paired("B", w, "pipeline", "pipelineNoAls"),
    ],
    ["B - A: the store's hooks on a bare await", (w) => across(w, ["B", "bare"], ["A", "bare"])],
    [
      "B - A: the store's hooks on runtime.call, no policies (inlineCrashes: false)",
      (w) => across(w, ["B", "callNoAls"], ["A", "callNoAls"]),
    ],
    [
      "B - A: the store's hooks on the full pipeline (inlineCrashes: false)",
      (w) => across(w, ["B", "pipelineNoAls"], ["A", "pipelineNoAls"]),
    ],
    ["B - A: the store's hooks on cockatiel", (w) => across(w, ["B", "cockatiel"], ["A", "cockatiel"])],
    ["B - A: the store's hooks on opossum", (w) => across(w, ["B", "opossum"], ["A", "opossum"])],
    [
      "B - A: full pipeline, default runtime, over bare without the store (the target's figure)",
      (w) => across(w, ["B", "pipeline"], ["A", "bare"]),
    ],
    [
      "A: opossum's timer per call (timeout 1000, over timeout: false)",
      (w) => paired("A", w, "opossum", "opossumNoTimeout"),
    ],
  ];
  return {
    title:
      "5.3 Where the time goes (ns per call; A: or B: paired within the phase, B - A: difference of the phases' medians)",
    header: ["difference", ...IN_FLIGHT.map((w) => `${w} in flight`)],
    rows: parts.map(([label, f]) => [label, ...IN_FLIGHT.map((w) => dns(f(w)))]),
  };
}

export async function run({ rounds = 25, calls = 10_240, warmup = 1_024 } = {}) {
  if (calls % 64 !== 0 || warmup % 64 !== 0) throw new Error("calls and warmup must be multiples of 64");
  const { phases, seconds } = await inChild({ rounds, calls, warmup });
  const analysis = analyse(phases);
  const { stats, paired, across } = analysis;
  const tables = [
    phaseTable(
      "5.1 Phase A, no AsyncLocalStorage in the process yet: one call of `async (x) => x + 1`, bare and guarded (ns per call)",
      "A",
      analysis,
    ),
    phaseTable(
      "5.2 Phase B, AsyncLocalStorage on (the default runtime has made an inline call): the same, and the default runtime",
      "B",
      analysis,
    ),
    shareTable(analysis),
  ];
  console.log("\n## 5. Call policies: Chipset's pipeline, cockatiel and opossum");
  for (const t of tables) console.log(`\n### ${t.title}\n${table(t.header, t.rows)}`);
  const retainedMB = Object.fromEntries(
    Object.entries(phases).map(([p, { retained }]) => [
      p,
      Object.fromEntries(Object.entries(retained).map(([k, b]) => [k, b / 2 ** 20])),
    ]),
  );
  const mb = (v) => `${v >= 0 ? "+" : ""}${v.toFixed(1)}`;
  console.log(
    `\n${rounds} rounds per phase of ${calls.toLocaleString("en-US")} calls per contender and width ` +
      `(cockatiel ${scaled(calls, COCKATIEL_SHARE).toLocaleString("en-US")}), ${seconds.toFixed(0)} s in the child. ` +
      `Heap left behind over each phase (MB, after GC): ` +
      Object.entries(retainedMB)
        .map(
          ([p, r]) =>
            `${p}: ${Object.entries(r)
              .map(([k, v]) => `${k} ${mb(v)}`)
              .join(", ")}`,
        )
        .join("; ") +
      ` (opossum keeps every call's latency for its 10 s rolling window). Runtimes closed, breakers ` +
      `shut down, no live handle or process listener left.`,
  );
  console.log(
    "(A MaxListenersExceededWarning on an AbortSignal is cockatiel's at 64 in flight: each call in flight adds an " +
      "abort listener to its one shared never-aborted signal, and removes it when the call ends.)",
  );

  const ratios = {};
  for (const w of IN_FLIGHT) {
    const a = stats.A[w];
    const b = stats.B[w];
    Object.assign(ratios, {
      [`noAlsPipelineAddedVsBareNs_${w}`]: paired("A", w, "pipelineNoAls", "bare"),
      [`noAlsCallAddedVsBareNs_${w}`]: paired("A", w, "callNoAls", "bare"),
      [`noAlsPoliciesOwnNs_${w}`]: paired("A", w, "pipelineNoAls", "callNoAls"),
      [`defaultPipelineAddedVsBareWithoutStoreNs_${w}`]: across(w, ["B", "pipeline"], ["A", "bare"]),
      [`defaultPipelineAddedVsBareSamePhaseNs_${w}`]: paired("B", w, "pipeline", "bare"),
      [`defaultPoliciesOwnNs_${w}`]: paired("B", w, "pipeline", "call"),
      [`attributionOwnNs_${w}`]: paired("B", w, "pipeline", "pipelineNoAls"),
      [`storeHooksOnBareNs_${w}`]: across(w, ["B", "bare"], ["A", "bare"]),
      [`cockatielAddedVsBareNs_${w}`]: paired("A", w, "cockatiel", "bare"),
      [`opossumAddedVsBareNs_${w}`]: paired("A", w, "opossum", "bare"),
      [`noAlsPipelineVsCockatiel_${w}`]: a.pipelineNoAls.median / a.cockatiel.median,
      [`noAlsPipelineVsOpossum_${w}`]: a.pipelineNoAls.median / a.opossum.median,
      [`defaultPipelineVsCockatielWithoutStore_${w}`]: b.pipeline.median / a.cockatiel.median,
      [`defaultPipelineVsCockatielSamePhase_${w}`]: b.pipeline.median / b.cockatiel.median,
      [`defaultPipelineVsOpossumWithoutStore_${w}`]: b.pipeline.median / a.opossum.median,
      [`defaultPipelineVsOpossumSamePhase_${w}`]: b.pipeline.median / b.opossum.median,
    });
  }
  const targets = [];
  for (const w of IN_FLIGHT) {
    const under = (name, value) => targets.push({ name, value: `${ns(value)} ns`, met: value < 1000 });
    under(
      `full pipeline adds < 1 µs per inline call vs bare, inlineCrashes: false, ${w} in flight (A, paired)`,
      ratios[`noAlsPipelineAddedVsBareNs_${w}`],
    );
    under(
      `full pipeline adds < 1 µs per inline call vs bare, default runtime, ${w} in flight (B pipeline - A bare)`,
      ratios[`defaultPipelineAddedVsBareWithoutStoreNs_${w}`],
    );
    under(
      `full pipeline adds < 1 µs vs runtime.call without policies, default runtime, ${w} in flight (B, paired)`,
      ratios[`defaultPoliciesOwnNs_${w}`],
    );
    const r = ratios[`defaultPipelineVsCockatielWithoutStore_${w}`];
    targets.push({
      name: `full pipeline, default runtime (B), faster than cockatiel's wrap without the store (A), ${w} in flight`,
      value: x(r),
      met: r < 1,
    });
  }
  return {
    name: "policies",
    settings: {
      rounds,
      calls,
      warmup,
      inFlight: IN_FLIGHT,
      policies: FULL_POLICIES,
      cockatielShare: COCKATIEL_SHARE,
    },
    stats,
    ratios,
    retainedMB,
    targets,
    tables,
  };
}
