/**
 * The report of benchmark 9 (bench/update.mjs): the tables of calls, gate waits, steps and HTTP
 * reloads, and the gates against the issue's targets.
 */
import { SHAPES as STATES } from "./lib/updateApp.mjs";
import { ms, table, x } from "./lib/stats.mjs";
import { spread } from "./updateHttp.mjs";

/** The hosts the app runs in. */
export const ISOLATIONS = ["inline", "worker", "process"];
/** The shapes of the app's state (bench/lib/updateApp.mjs). */
export const SHAPES = Object.keys(STATES);
/** The target on the gate, ms. */
export const GATE_TARGET_MS = 5;

/** The tables and gates of a run of benchmark 9. */
export function report({ calls, floor, once, http, updates, lanes, reloads, connections }) {
  const callRows = [];
  const gateRows = [];
  const stepRows = [];
  for (const [key, c] of Object.entries(calls)) {
    const vsSteady = (s) => x(s.p99 / c.steady.p99);
    callRows.push(
      [
        `${key}: steady`,
        ms(c.steady.median),
        ms(c.steady.p99),
        ms(c.steady.max),
        String(c.steady.n),
        "1.00x",
      ],
      [
        `${key}: during an update`,
        ms(c.during.median),
        ms(c.during.p99),
        ms(c.during.max),
        String(c.during.n),
        vsSteady(c.during),
      ],
      [
        `${key}: met the switch`,
        ms(c.atSwitch.median),
        ms(c.atSwitch.p99),
        ms(c.atSwitch.max),
        String(c.atSwitch.n),
        vsSteady(c.atSwitch),
      ],
    );
    const bare = floor[key];
    const one = once[key];
    const mp = (d) => `${ms(d.median)} / ${ms(d.p99)}`;
    gateRows.push([
      key,
      `${c.failed} / ${c.calls.toLocaleString("en-US")}`,
      c.countKept ? "yes" : "NO",
      mp(c.gateMs),
      bare ? mp(bare) : "-",
      bare ? x(c.gateMs.median / bare.median) : "-",
      one ? mp(one) : "-",
      one ? x(c.gateMs.median / one.median) : "-",
      mp(c.stallMs),
      mp(c.steadyStallMs),
    ]);
    stepRows.push([key, mp(c.startMs), mp(c.switchMs), mp(c.updateMs)]);
  }
  const names = {
    pm2Fork: "PM2 fork mode, pm2 reload",
    pm2Cluster: "PM2 cluster x2, pm2 reload",
    chipset: "Chipset worker module, runtime.update",
  };
  const httpRows = [];
  const reloadRows = [];
  for (const [key, h] of Object.entries(http ?? {})) {
    const c = http.chipset;
    httpRows.push(
      [
        `${names[key]}: steady`,
        ms(h.steady.median),
        ms(h.steady.p99),
        ms(h.steady.max),
        String(h.steady.n),
        String(h.failed - h.failedInReloads),
        x(c.steady.p99 / h.steady.p99),
      ],
      [
        `${names[key]}: during a reload`,
        ms(h.reload.median),
        ms(h.reload.p99),
        ms(h.reload.max),
        String(h.reload.n),
        String(h.failedInReloads),
        x(c.reload.p99 / h.reload.p99),
      ],
    );
    const reload = spread(h.reloadMs);
    const windowMs = spread(h.windowMs);
    const outage = spread(h.outageMs);
    reloadRows.push([
      names[key],
      `${ms(reload.median)} / ${ms(reload.max)}`,
      `${ms(windowMs.median)} / ${ms(windowMs.max)}`,
      `${ms(outage.median)} / ${ms(outage.max)}`,
      Object.entries(h.errors)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ") || "none",
      Object.entries(h.versions)
        .map(([v, n]) => `${v}: ${n}`)
        .join(", "),
      h.steadyPerSecond.toFixed(0),
    ]);
  }
  const tables = [
    {
      title: `9.1 Calls during ${updates} updates per case (1 MB of state, ${lanes} callers): per-call latency, ms`,
      header: ["case", "median ms", "p99 ms", "max ms", "n", "p99 / steady p99"],
      rows: callRows,
    },
    {
      title:
        "9.2 Failed calls, the count carried over every update, the gate (report.gateMs), the floor of cloning the state twice through this thread (the state sent to a bare thread or process and back, nothing else running), the floor of serializing it once (serialized in one bare thread or process, its bytes through this thread to a second that reads them), and the longest stall of this thread's event loop (gap between 1 ms ticks) in an update and in a steady window; ms, median / p99 over the updates or windows",
      header: [
        "case",
        "failed / calls",
        "count kept",
        "gateMs",
        "floor",
        "gate / floor",
        "floor, serialized once",
        "gate / that",
        "loop stall, update",
        "loop stall, steady",
      ],
      rows: gateRows,
    },
    {
      title:
        "9.3 The updates' steps: start (the new version beside the old), switch, the whole update; ms, median / p99",
      header: ["case", "start", "switch", "update"],
      rows: stepRows,
    },
    {
      title: `9.4 HTTP, ${connections} keep-alive connections, GET / in a closed loop, ${reloads} reloads each: latency of answered requests, ms`,
      header: ["case", "median ms", "p99 ms", "max ms", "n", "failed", "Chipset p99 / this p99"],
      rows: httpRows,
    },
    {
      title:
        "9.5 HTTP reloads: the reload call, its window (to the last failure), the outage (first to last failure), ms (median / max)",
      header: [
        "case",
        "reload call",
        "window",
        "outage",
        "failed requests by kind",
        "answers by version",
        "steady req/s",
      ],
      rows: reloadRows,
    },
  ];
  console.log("\n## 9. Hot update under load");
  for (const t of tables) if (t.rows.length > 0) console.log(`\n### ${t.title}\n${table(t.header, t.rows)}`);

  const isolationsOf = (pick) =>
    ISOLATIONS.filter((i) => SHAPES.some((s) => calls[`${s}/${i}`]))
      .map(
        (i) => `${i} ${SHAPES.map((s) => (calls[`${s}/${i}`] ? pick(calls[`${s}/${i}`]) : "-")).join("/")}`,
      )
      .join(", ");
  const failedTotal = Object.values(calls).reduce((sum, c) => sum + c.failed, 0);
  const gateWorst = Math.max(...Object.values(calls).map((c) => c.gateMs.p99));
  const ratios = http && {
    reloadP99VsPm2Fork: http.chipset.reload.p99 / http.pm2Fork.reload.p99,
    reloadP99VsPm2Cluster: http.chipset.reload.p99 / http.pm2Cluster.reload.p99,
    steadyP99VsPm2Fork: http.chipset.steady.p99 / http.pm2Fork.steady.p99,
    steadyP99VsPm2Cluster: http.chipset.steady.p99 / http.pm2Cluster.steady.p99,
    steadyThroughputVsPm2Fork: http.chipset.steadyPerSecond / http.pm2Fork.steadyPerSecond,
    steadyThroughputVsPm2Cluster: http.chipset.steadyPerSecond / http.pm2Cluster.steadyPerSecond,
  };
  const targets = [
    {
      name: "failed calls during updates: 0 (inline, worker, process)",
      value: `${isolationsOf((c) => c.failed)} (numbers/strings)`,
      met: failedTotal === 0,
    },
    {
      name: `gate wait p99 < ${GATE_TARGET_MS} ms with 1 MB of state`,
      value: `${isolationsOf((c) => ms(c.gateMs.p99))} ms (numbers/strings)`,
      met: gateWorst < GATE_TARGET_MS,
    },
  ];
  return { name: "update", stats: { calls, floor, once, http }, ratios, targets, tables };
}
