/** The tables of benchmark 13 (bench/replicas.mjs): throughput, the pick's cost, a crash under load. */
import { ms, x } from "./lib/stats.mjs";

/** Calls in flight when measuring throughput. */
export const IN_FLIGHT = 64;
/** Every throughput contender, in the order of the tables (and of the first round). */
export const CONTENDERS = ["one", "rr2", "ll2", "rr4", "ll4", "p1", "p2", "p4", "single"];
const LABELS = {
  one: "chipset, 1 replica",
  rr2: "chipset, 2 replicas, round_robin",
  ll2: "chipset, 2 replicas, least_loaded",
  rr4: "chipset, 4 replicas, round_robin",
  ll4: "chipset, 4 replicas, least_loaded",
  p1: "piscina, 1 thread",
  p2: "piscina, 2 threads",
  p4: "piscina, 4 threads",
  single: "chipset, worker module without replicas",
};
const TASKS = {
  work: "work(x): 200,000 multiply-xorshift steps per call (CPU)",
  inc: "inc(x): x + 1 (no work)",
};

/** Calls per second of a summary of ms per call: its median (or `which` sample). */
const perSecond = (stats, which = "median") => Math.round(1000 / stats[which]).toLocaleString("en-US");
/** How many of `n` threads: 1, 2 or 4. */
const threadsOf = (c) => (c === "one" || c === "p1" || c === "single" ? 1 : Number(c.at(-1)));

/** 13.1: calls/s of every contender on `task`, against piscina with as many threads and against 1. */
export function throughputTable(result, task) {
  const p = result.perCall;
  const rows = CONTENDERS.filter((c) => c !== "single").map((c) => {
    const n = threadsOf(c);
    const piscina = p[`p${n}`];
    const base = c.startsWith("p") ? p.p1 : p.one;
    return [
      LABELS[c],
      perSecond(p[c]),
      perSecond(p[c], "max"),
      String(p[c].n),
      c.startsWith("p") ? "" : x(piscina.median / p[c].median),
      n === 1 ? "1.00x" : x(base.median / p[c].median),
    ];
  });
  return {
    title: `13.1 ${TASKS[task]}, ${IN_FLIGHT} in flight: calls/s`,
    header: [
      "contender",
      "calls/s",
      "slowest sample",
      "n",
      "/ piscina, same threads",
      "/ 1 replica (piscina: / 1 thread)",
    ],
    rows,
  };
}

/** 13.3: inc through 1 and 2 replicas against a worker module without replicas: calls/s and main-thread µs per call. */
export function overheadTable(result) {
  const p = result.perCall;
  const b = result.busyUs;
  const rows = ["single", "one", "rr2", "ll2", "p1", "p2"].map((c) => [
    LABELS[c],
    perSecond(p[c]),
    x(p.single.median / p[c].median),
    b[c].median.toFixed(2),
    c === "single" ? "" : (b[c].median - b.single.median).toFixed(2),
  ]);
  return {
    title: `13.3 inc(x), ${IN_FLIGHT} in flight: what the group's pick adds (main thread busy µs per call: event loop utilisation)`,
    header: ["contender", "calls/s", "/ without replicas", "main thread µs/call", "+ over without replicas"],
    rows,
  };
}

/** 13.2: one of three replicas crashes under load, against the same load on one replica. */
export function crashTable(crash) {
  const figures = [
    ["detected", "crash to module.crashed, ms", ms],
    ["retried", "calls retried (caught by the crash)", String],
    ["servedElsewhere", "crash to the last retried call answered, ms", ms],
    ["gap", "longest time without an answer after the crash, ms", ms],
    ["gapAt", "that gap began, ms after the crash", ms],
    ["maxLatency", "longest call between crash and restart, ms", ms],
    ["steady", "median call before the crash, ms", ms],
    ["restarted", "crash to module.restarted, ms", ms],
    ["calls", "calls per sample", String],
    ["lost", "calls lost (failed or wrong)", String],
  ];
  const setups = ["three", "threeLeast", "one"];
  const rows = figures.map(([key, label, fmt]) => [
    label,
    ...setups.flatMap((setup) => {
      const s = crash[setup][key];
      return s.n === 0 ? ["-", "-"] : [fmt(s.median), fmt(s.max)];
    }),
  ]);
  const failed = (setup) =>
    Object.entries(crash[setup].failures)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ") || "none";
  rows.push(["failures by kind, all samples", ...setups.flatMap((setup) => [failed(setup), ""])]);
  return {
    title: `13.2 A replica crashes under a steady load of idempotent calls (${crash.three.gap.n} crashes each; median, worst)`,
    header: [
      "figure",
      "3 replicas, round_robin",
      "worst",
      "3 replicas, least_loaded",
      "worst",
      "1 replica (peer)",
      "worst",
    ],
    rows,
  };
}
