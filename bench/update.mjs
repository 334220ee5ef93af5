/**
 * Benchmark 9: hot update under load.
 *   1. In process: the app (bench/lib/updateApp.mjs: a counter with about 1 MB of state, in two
 *      shapes) as an inline, a worker and a process module, called by `lanes` callers in loops
 *      (one call per turn of the event loop each, as requests arrive), updated with
 *      `runtime.update("app", { from, graceMs: 0 })` `updates` times, 1.0.0 -> 2.0.0 -> 1.0.0...
 *      each from its directory, after a steady window. Measured: failed calls (target 0), how
 *      long calls waited at the gate (`report.gateMs`, target p99 < 5 ms) against the floor of
 *      handing the state over two ways: cloned twice through this thread (the same state to a
 *      bare thread or process and back, as the hand-over did before it was serialized once in the
 *      old host), and serialized once (bench/updateStateHost.mjs: serialized in one bare thread or
 *      process, read in another, the bytes passing through), the latency of the calls that met the switch (in flight or arriving while the gate was
 *      closed) and of all calls during an update against the steady windows', the longest stall
 *      of the event loop the callers share, the update's steps, and that the count went on
 *      across every update (no call lost or counted twice).
 *   2. Over HTTP, side by side (bench/updateHttp.mjs): PM2 reloading the app in fork mode and
 *      in cluster mode (2 instances), and a node:http server answering through
 *      `runtime.call("app", "hit")` into a worker module that `runtime.update` replaces, under
 *      the same keep-alive load: failed requests and latency during the reloads and steady.
 * Ratios are Chipset / PM2; absolute times move with the machine.
 *
 * One case alone: `BENCH_UPDATE_CASES=numbers/worker,strings/process node --expose-gc bench/run.mjs update`
 * runs only those in-process cases (shape/isolation) and their floors, and no HTTP part.
 */
import { fork } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { clearInterval, setInterval } from "node:timers";
import { setTimeout as sleep } from "node:timers/promises";
import { createRuntime } from "chipset";
import { linkChipset, removeDir, tempDir } from "./lib/fixtures.mjs";
import { SHAPES as STATES, writeAppVersions } from "./lib/updateApp.mjs";
import { Echo } from "./isolationPeers.mjs";
import { ms, table, x } from "./lib/stats.mjs";
import { httpContenders, spread } from "./updateHttp.mjs";

const ISOLATIONS = ["inline", "worker", "process"];
const SHAPES = Object.keys(STATES);
/** The in-process cases to run (`shape/isolation`), from BENCH_UPDATE_CASES; all of them (and HTTP) by default. */
const ONLY = process.env.BENCH_UPDATE_CASES?.split(",").map((c) => c.trim());
const wanted = (shape, isolation) => ONLY === undefined || ONLY.includes(`${shape}/${isolation}`);
const ECHO = new URL("./updateEcho.mjs", import.meta.url);
const STATE_HOST = new URL("./updateStateHost.mjs", import.meta.url);
/** The target on the gate, ms. */
const GATE_TARGET_MS = 5;

// ---- 1. in process -----------------------------------------------------------------------------

/**
 * A column of numbers in fixed chunks of a typed array. An inline module answers 1.5 million
 * calls in a run; pushed onto plain arrays, each growth of an array that size stalled the loop
 * for up to 130 ms (measured: 37, 57, 87, 128 ms at 1, 1.4, 2 and 3 s), which the calls then
 * measured as theirs.
 */
class Column {
  static #SIZE = 1 << 16;
  #chunks = [];
  length = 0;

  constructor(Type = Float64Array) {
    this.Type = Type;
  }

  push(value) {
    const at = this.length & (Column.#SIZE - 1);
    if (at === 0) this.#chunks.push(new this.Type(Column.#SIZE));
    this.#chunks[this.#chunks.length - 1][at] = value;
    this.length++;
  }

  get(i) {
    return this.#chunks[Math.floor(i / Column.#SIZE)][i & (Column.#SIZE - 1)];
  }
}

/**
 * One isolation and shape: a runtime of its own, `lanes` callers, `updates` updates each after
 * `steadyMs` of steady calls. Answers every call (start, duration, ok), the updates' windows and
 * reports, and the check on the count.
 */
async function updateUnderLoad(root, { isolation, shape, updates, lanes, steadyMs, warmupMs }) {
  const dirs = writeAppVersions(join(root, `${shape}-${isolation}`), { isolation, shape });
  const runtime = createRuntime({
    dataDir: join(root, `data-${shape}-${isolation}`),
    preload: 0,
    logLevel: "silent",
  });
  const starts = new Column();
  const durations = new Column();
  const oks = new Column(Uint8Array);
  const errors = {};
  const versions = {};
  const steady = [];
  const done = [];
  const ticks = [];
  let answered = 0;
  let running = true;
  let switchedAt = NaN;
  const listening = runtime.on("update.switched", () => (switchedAt = performance.now()));
  try {
    runtime.add(dirs.v1);
    await runtime.start();
    const first = await runtime.call("app", "hit");
    const lane = async () => {
      while (running) {
        // One call per turn of the event loop, as requests arrive: an inline module answers in
        // microtasks, and a loop of those alone would never let the update's own I/O run. Timed
        // from before the turn: a call that arrives while the loop is blocked waits too.
        const t0 = performance.now();
        await new Promise((resolve) => setImmediate(resolve));
        let ok = false;
        try {
          const { version } = await runtime.call("app", "hit");
          versions[version] = (versions[version] ?? 0) + 1;
          answered++;
          ok = true;
        } catch (err) {
          const kind = err?.code ?? err?.name ?? "error";
          errors[kind] = (errors[kind] ?? 0) + 1;
        }
        starts.push(t0);
        durations.push(performance.now() - t0);
        oks.push(ok ? 1 : 0);
      }
    };
    const callers = Promise.all(Array.from({ length: lanes }, lane));
    // A tick every millisecond while the callers run: the gaps between ticks are the stalls of
    // this thread's event loop, which every call waits out, whichever module it goes to.
    ticks.push(performance.now());
    const ticker = setInterval(() => ticks.push(performance.now()), 1);
    const steadyWindow = async () => {
      const from = performance.now();
      await sleep(steadyMs);
      steady.push({ from, to: performance.now() });
    };
    try {
      await sleep(warmupMs);
      let serving = "1.0.0";
      for (let u = 0; u < updates; u++) {
        await steadyWindow();
        const to = serving === "1.0.0" ? "2.0.0" : "1.0.0";
        const t0 = performance.now();
        switchedAt = NaN;
        const report = await runtime.update("app", { from: to === "2.0.0" ? dirs.v2 : dirs.v1, graceMs: 0 });
        const t1 = performance.now();
        if (report.outcome !== "completed" || report.to !== to)
          throw new Error(`update ${u} of the ${isolation} app to ${to}: ${report.outcome} (${report.to})`);
        serving = to;
        const gate = [switchedAt - report.gateMs, switchedAt];
        done.push({ start: t0, end: t1, gate, report });
      }
      await steadyWindow();
    } finally {
      clearInterval(ticker);
      running = false;
      await callers;
    }
    const last = await runtime.call("app", "hit");
    // Every answered call counted once, across every version: the first call, the load's, this one.
    const countKept = last.count === first.count + answered + 1;
    return { starts, durations, oks, errors, versions, steady, updates: done, ticks, countKept, last };
  } finally {
    listening.dispose();
    await runtime.close();
  }
}

/** Latencies of the answered calls: steady, during the updates, and those that met the switch. */
function analyseCalls({ starts, durations, oks, errors, versions, steady, updates, ticks, countKept, last }) {
  /** The longest gap between two ticks that lies mostly in [a, b] (a gap across a boundary counts once), ms. */
  const stall = (a, b) => {
    let longest = 0;
    for (let k = 1; k < ticks.length; k++) {
      const gap = ticks[k] - ticks[k - 1];
      if (Math.min(ticks[k], b) - Math.max(ticks[k - 1], a) > gap / 2) longest = Math.max(longest, gap);
    }
    return longest;
  };
  const during = [];
  const atSwitch = [];
  const quiet = [];
  let failed = 0;
  let failedDuring = 0;
  for (let i = 0; i < starts.length; i++) {
    const start = starts.get(i);
    const end = start + durations.get(i);
    const overlaps = ([a, b]) => start < b && end > a;
    const inUpdate = updates.some((u) => overlaps([u.start, u.end]));
    if (!oks.get(i)) {
      failed++;
      if (inUpdate) failedDuring++;
      continue;
    }
    if (inUpdate) during.push(end - start);
    if (updates.some((u) => overlaps(u.gate))) atSwitch.push(end - start);
    else if (!inUpdate && steady.some((w) => start >= w.from && start < w.to)) quiet.push(end - start);
  }
  return {
    calls: starts.length,
    failed,
    failedDuring,
    errors,
    versions,
    countKept,
    last,
    steady: spread(quiet),
    during: spread(during),
    atSwitch: spread(atSwitch),
    gateMs: spread(updates.map((u) => u.report.gateMs)),
    updateMs: spread(updates.map((u) => u.end - u.start)),
    stallMs: spread(updates.map((u) => stall(u.start, u.end))),
    steadyStallMs: spread(steady.map((w) => stall(w.from, w.to))),
    switchMs: spread(updates.map((u) => u.report.steps.find((s) => s.step === "switch")?.ms ?? NaN)),
    startMs: spread(updates.map((u) => u.report.steps.find((s) => s.step === "start")?.ms ?? NaN)),
  };
}

// ---- the floor --------------------------------------------------------------------------------

/**
 * The state of `shape` sent to a bare worker / forked process (advanced serialization, as
 * Chipset's process host) and back, with nothing else running: what handing it from one version
 * to the next cannot beat. Answers the round trips, ms.
 */
async function handoverFloor(kind, shape, { samples, warmup }) {
  const state = STATES[shape].make();
  const echo = new Echo(kind, ECHO);
  const times = [];
  try {
    for (let i = 0; i < warmup + samples; i++) {
      const t0 = performance.now();
      const back = await echo.call(state);
      const elapsed = performance.now() - t0;
      if ((back.length ?? back.size) !== (state.length ?? state.size))
        throw new Error(`${kind} echo lost the state`);
      if (i >= warmup) times.push(elapsed);
    }
  } finally {
    await echo.close();
  }
  return spread(times);
}

/** A bare bench/updateStateHost.mjs in a worker thread or a forked process (advanced serialization). */
class StateHost {
  #pending = new Map();
  #next = 0;
  #send;
  #end;

  constructor(kind) {
    if (kind === "worker") {
      const worker = new Worker(STATE_HOST, { execArgv: [] });
      worker.on("message", (m) => this.#settle(m));
      this.#send = (m, transfer) => worker.postMessage(m, transfer);
      this.#end = () => worker.terminate();
    } else {
      const child = fork(fileURLToPath(STATE_HOST), [], {
        execArgv: [],
        serialization: "advanced",
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      child.on("message", (m) => this.#settle(m));
      const exited = new Promise((resolve) => child.once("exit", resolve));
      this.#send = (m) => child.send(m);
      this.#end = () => {
        child.kill();
        return exited;
      };
    }
  }

  /** Sends `{ op, x }` (transferring `transfer` to a worker); resolves with the answer's value. */
  ask(op, x, transfer = []) {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#send({ id, op, x }, transfer);
    });
  }

  close() {
    return this.#end();
  }

  #settle({ id, value }) {
    this.#pending.get(id)?.(value);
    this.#pending.delete(id);
  }
}

/**
 * The floor of the hand-over as Chipset makes it (src/hosts/StateParcel.ts): the state
 * serialized once in one bare host, its bytes through this thread (a worker's transferred) to a
 * second bare host that reads them; the next sample goes back, as the updates alternate (so the
 * state is, from the second on, what a deserialization made of it). Answers the hand-overs, ms.
 */
async function serializedOnceFloor(kind, shape, { samples, warmup }) {
  const hosts = [new StateHost(kind), new StateHost(kind)];
  const times = [];
  try {
    await hosts[0].ask("keep", STATES[shape].make());
    for (let i = 0; i < warmup + samples; i++) {
      const [from, to] = i % 2 === 0 ? hosts : [hosts[1], hosts[0]];
      const t0 = performance.now();
      const bytes = await from.ask("pack");
      await to.ask("unpack", bytes, kind === "worker" ? [bytes.buffer] : []);
      if (i >= warmup) times.push(performance.now() - t0);
    }
  } finally {
    await Promise.all(hosts.map((h) => h.close()));
  }
  return spread(times);
}

// ---- the run -----------------------------------------------------------------------------------

export async function run({
  updates = 10,
  lanes = 8,
  steadyMs = 300,
  warmupMs = 300,
  reloads = 6,
  connections = 8,
  httpSteadyMs = 1_000,
  httpWarmupMs = 1_000,
  settleMs = 1_000,
  floorSamples = 10,
  floorWarmup = 2,
} = {}) {
  const root = tempDir("update");
  const calls = {};
  const floor = {};
  const once = {};
  let http;
  try {
    linkChipset(root); // the PM2 app imports the module, which imports chipset/module
    for (const shape of SHAPES)
      for (const isolation of ISOLATIONS)
        if (wanted(shape, isolation))
          calls[`${shape}/${isolation}`] = analyseCalls(
            await updateUnderLoad(root, { isolation, shape, updates, lanes, steadyMs, warmupMs }),
          );
    for (const shape of SHAPES)
      for (const kind of ["worker", "process"]) {
        if (!wanted(shape, kind)) continue;
        const sampling = { samples: floorSamples, warmup: floorWarmup };
        floor[`${shape}/${kind}`] = await handoverFloor(kind, shape, sampling);
        once[`${shape}/${kind}`] = await serializedOnceFloor(kind, shape, sampling);
      }
    const dirs = writeAppVersions(join(root, "http"), { isolation: "worker", shape: "numbers" });
    if (ONLY === undefined)
      http = await httpContenders(root, dirs, {
        connections,
        warmupMs: httpWarmupMs,
        steadyMs: httpSteadyMs,
        settleMs,
        reloads,
      });
  } finally {
    removeDir(root);
  }
  return report({ calls, floor, once, http, updates, lanes, reloads, connections });
}

// ---- report ------------------------------------------------------------------------------------

function report({ calls, floor, once, http, updates, lanes, reloads, connections }) {
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
