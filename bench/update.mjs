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
import { join } from "node:path";
import { clearInterval, setInterval } from "node:timers";
import { setTimeout as sleep } from "node:timers/promises";
import { createRuntime } from "chipset";
import { linkChipset, removeDir, tempDir } from "./lib/fixtures.mjs";
import { countIn, failureKind } from "./lib/tally.mjs";
import { SHAPES as STATES, writeAppVersions } from "./lib/updateApp.mjs";
import { ISOLATIONS, SHAPES, report } from "./updateReport.mjs";
import { Echo } from "./isolationPeers.mjs";
import { httpContenders, spread } from "./updateHttp.mjs";
import { serializedOnceFloor } from "./lib/stateFloor.mjs";

/** The in-process cases to run (`shape/isolation`), from BENCH_UPDATE_CASES; all of them (and HTTP) by default. */
const ONLY = process.env.BENCH_UPDATE_CASES?.split(",").map((c) => c.trim());
const wanted = (shape, isolation) => ONLY === undefined || ONLY.includes(`${shape}/${isolation}`);
const ECHO = new URL("./updateEcho.mjs", import.meta.url);

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
          countIn(versions, version);
          answered++;
          ok = true;
        } catch (err) {
          countIn(errors, failureKind(err));
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
