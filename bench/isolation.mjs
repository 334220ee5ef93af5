/**
 * Benchmark 4: isolation (worker and process hosts), against bare Node and piscina in the same run.
 *   1. `use(id).inc(1)` to the first result: warm pool, cold (pool 0), and the same code inline;
 *      peers: `new Worker()` / `fork()` + one message round trip (what a cold start cannot beat),
 *      and `import()` of the module in an already started thread / process + one round trip
 *      (what a warm pool cannot beat).
 *   2. calls into one loaded module, 1 in flight (latency) and 64 in flight (throughput); peers:
 *      piscina with one thread, and a bare worker / forked process echoing the message (the floor).
 *   3. a crash (`die()`: `process.exit(1)` in a timer) to the first successful call afterwards,
 *      first restart, no backoff; warm pool and pool 0.
 * Everything runs in this process (the hosts are other threads and processes); contenders are
 * sampled alternately so that drift on the machine hits them alike.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { clearInterval, setInterval } from "node:timers";
import { createRuntime } from "chipset";
import { Echo, bareStart, bareWarmLoad, inFlight, latencies, startPiscina } from "./isolationPeers.mjs";
import { linkChipset, removeDir, tempDir } from "./lib/fixtures.mjs";
import { collect, ms, summarize, table, x } from "./lib/stats.mjs";
import { IN_FLIGHT, ISOLATIONS, callTable, crashTable, firstTable } from "./isolationReport.mjs";

const ID = { worker: "bench-iso-worker", process: "bench-iso-process", inline: "bench-iso-inline" };

// The same code for every isolation: the tiny async function of every contender, and a way to crash.
const SOURCE = `import { defineModule } from "chipset/module";
export const module = defineModule({
  api: {
    async inc(x) { return x + 1; },
    die() { setTimeout(() => process.exit(1), 0); return true; },
  },
});
`;

function writeModules(root) {
  const dirs = [];
  const write = (name, isolation) => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    const chipset = { kind: "bench", activation: "lazy", isolation };
    const pkg = { name, version: "1.0.0", type: "module", exports: "./index.js", chipset };
    writeFileSync(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
    writeFileSync(join(dir, "index.js"), SOURCE);
    dirs.push(dir);
  };
  for (const isolation of ISOLATIONS) write(ID[isolation], isolation);
  write(ID.inline, "inline");
  return dirs;
}

/**
 * A started runtime on its own data dir holding every bench module. `pool`: blank hosts kept
 * per isolation. Restarts have no backoff and never give up (`resetAfterMs: 0`: every restart
 * counts as a first one), so the crash samples can repeat in one runtime.
 */
async function startRuntime(root, name, dirs, pool) {
  const runtime = createRuntime({
    dataDir: join(root, name),
    preload: 0,
    logLevel: "silent",
    hosts: { pool },
    restart: { initialDelayMs: 0, maxRestarts: 1_000_000, resetAfterMs: 0 },
  });
  for (const dir of dirs) runtime.add(dir);
  await runtime.start();
  return runtime;
}

/**
 * Resolves once `runtime`'s warm pool holds its started blank hosts of `isolation` (a refill due
 * soon included). The runtime has no public "pool ready" signal, so this reads its HostPool (an
 * internal: update here if it changes).
 */
async function poolFilled(runtime, isolation) {
  const pool = runtime.parts?.pool;
  if (typeof pool?.filled !== "function")
    throw new Error(
      "bench/isolation.mjs: the runtime's pool (runtime.parts.pool.filled) is gone; update poolFilled()",
    );
  await pool.filled(isolation);
}

// ---- 1. use() to first result --------------------------------------------------------------

async function firstResult(root, dirs, moduleUrl, { samples, warmup }) {
  const out = {};
  const inline = await startRuntime(root, "first-inline", dirs, { worker: 0, process: 0 });
  const inlineTimes = [];
  try {
    for (const isolation of ISOLATIONS) {
      const warm = await startRuntime(root, `first-${isolation}-warm`, dirs, {
        worker: isolation === "worker" ? 1 : 0,
        process: isolation === "process" ? 1 : 0,
      });
      const cold = await startRuntime(root, `first-${isolation}-cold`, dirs, { worker: 0, process: 0 });
      const times = { warm: [], cold: [], bare: [], bareLoad: [] };
      try {
        for (let i = 0; i < warmup + samples; i++) {
          const keep = i >= warmup;
          await poolFilled(warm, isolation);
          const w = await timeFirstResult(warm, ID[isolation]);
          // The warm load set off a refill: let it finish before the next contender, or that
          // contender would share the 2 cores with a starting thread or process.
          await poolFilled(warm, isolation);
          const c = await timeFirstResult(cold, ID[isolation]);
          collect();
          const b = await bareStart(isolation);
          collect();
          const l = await bareWarmLoad(isolation, moduleUrl);
          if (keep) {
            times.warm.push(w);
            times.cold.push(c);
            times.bare.push(b);
            times.bareLoad.push(l);
          }
          // Inline samples ride along with the worker's, so they see the same machine.
          if (isolation === "worker") {
            const n = await timeFirstResult(inline, ID.inline);
            if (keep) inlineTimes.push(n);
          }
        }
      } finally {
        await warm.close();
        await cold.close();
      }
      out[isolation] = {
        warm: summarize(times.warm),
        cold: summarize(times.cold),
        bare: summarize(times.bare),
        bareLoad: summarize(times.bareLoad),
      };
    }
  } finally {
    await inline.close();
  }
  out.inline = summarize(inlineTimes);
  return out;
}

/** `use(id).inc(1)` on an unloaded module to its result, in ms; unloads the module afterwards (not timed). */
async function timeFirstResult(runtime, id) {
  collect();
  const t0 = performance.now();
  const value = await runtime.use(id).inc(1);
  const elapsed = performance.now() - t0;
  if (value !== 2) throw new Error(`${id}.inc(1) returned ${value}`);
  await runtime.unload(id);
  return elapsed;
}

// ---- 2. calls ------------------------------------------------------------------------------

async function calls(root, dirs, { rounds, latencyCalls, throughputCalls }) {
  const out = {};
  const runtime = await startRuntime(root, "calls", dirs, { worker: 0, process: 0 });
  const piscina = await startPiscina();
  try {
    for (const isolation of ISOLATIONS) {
      const proxy = runtime.use(ID[isolation]);
      await proxy.inc(0); // loaded and started before timing
      const echo = new Echo(isolation);
      await echo.call(0);
      const contenders = [
        ["chipset", (v) => proxy.inc(v)],
        ...(isolation === "worker" ? [["piscina", piscina.call]] : []),
        ["bare", (v) => echo.call(v)],
      ];
      const lat = Object.fromEntries(contenders.map(([name]) => [name, []]));
      const thr = Object.fromEntries(contenders.map(([name]) => [name, []]));
      try {
        // Warm-up: every path compiled and every pool at its steady size before timing.
        const fns = contenders.map(([, call]) => call);
        await latencies(fns, 200);
        for (const call of fns) await inFlight(call, 2_000, IN_FLIGHT);
        for (let r = 0; r < rounds; r++) {
          collect();
          const times = await latencies(fns, latencyCalls);
          contenders.forEach(([name], k) => lat[name].push(...times[k]));
          for (let k = 0; k < contenders.length; k++) {
            const [name, call] = contenders[(r + k) % contenders.length];
            collect();
            thr[name].push((await inFlight(call, throughputCalls, IN_FLIGHT)) / throughputCalls);
          }
        }
      } finally {
        await echo.close();
        await runtime.unload(ID[isolation]);
      }
      out[isolation] = {
        latency: Object.fromEntries(Object.entries(lat).map(([k, v]) => [k, summarize(v)])),
        // ms per call over each round of `throughputCalls` calls with 64 in flight (1 / throughput)
        inFlight: Object.fromEntries(Object.entries(thr).map(([k, v]) => [k, summarize(v)])),
      };
    }
  } finally {
    await piscina.close();
    await runtime.close();
  }
  return out;
}

// ---- 3. crash to serving again -----------------------------------------------------------

async function crashes(root, dirs, { samples, warmup }) {
  const out = {};
  for (const isolation of ISOLATIONS) {
    const id = ID[isolation];
    // Warm pool and pool 0 side by side, sampled alternately.
    const setups = [];
    try {
      for (const [name, size] of [
        ["warm", 1],
        ["cold", 0],
      ]) {
        const pool = { worker: 0, process: 0, [isolation]: size };
        const runtime = await startRuntime(root, `crash-${isolation}-${name}`, dirs, pool);
        const seen = new EventLog(runtime, id, ["module.crashed", "module.restarted"]);
        const times = { serving: [], detected: [], restarted: [], retries: [] };
        setups.push({ name, size, runtime, seen, times, proxy: runtime.use(id) });
      }
      for (const { proxy } of setups) await proxy.inc(0);
      for (let i = 0; i < warmup + samples; i++) {
        for (const { size, runtime, seen, times, proxy } of setups) {
          // The pool is full and its refill finished before the crash (and before the other setup's).
          if (size > 0) await poolFilled(runtime, isolation);
          const sample = await crashOnce(proxy, seen);
          if (size > 0) await poolFilled(runtime, isolation);
          if (sample.attempt !== 1) throw new Error(`restart attempt ${sample.attempt}, expected 1`);
          if (i < warmup) continue;
          for (const key of Object.keys(times)) times[key].push(sample[key]);
        }
      }
    } finally {
      for (const { runtime } of setups) await runtime.close();
    }
    out[isolation] = Object.fromEntries(
      setups.map(({ name, times }) => [
        name,
        Object.fromEntries(Object.entries(times).map(([key, list]) => [key, summarize(list)])),
      ]),
    );
  }
  return out;
}

/** The events `names` of module `id`, each with the time it arrived; `next(name)` waits for a new one. */
class EventLog {
  #waiters = [];

  constructor(runtime, id, names) {
    for (const name of names) {
      this[name] = [];
      runtime.on(name, (e) => {
        if (e.id !== id) return;
        this[name].push({ at: performance.now(), ...e });
        for (const wake of this.#waiters.splice(0)) wake();
      });
    }
  }

  /** Resolves when any event arrives, or after `ms` if given. */
  next(ms) {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      if (ms !== undefined) setTimeout(resolve, ms);
    });
  }
}

/**
 * One crash: `die()` (the module exits in a timer), then, once `module.crashed` was seen, calls
 * `inc` again until one succeeds. A call that fails with `CHIP_ERR_MODULE_DOWN` is retried
 * on the next module event or after 1 ms, whichever comes first (no busy loop: on 2 cores a
 * spinning client slows the restart it waits for). Times from just before `die()`: `serving` to
 * the first success, `detected` to `module.crashed`, `restarted` to `module.restarted`.
 */
async function crashOnce(proxy, seen) {
  const crashed = seen["module.crashed"];
  const restarted = seen["module.restarted"];
  const crashedBefore = crashed.length;
  const restartedBefore = restarted.length;
  collect();
  const t0 = performance.now();
  await proxy.die();
  while (crashed.length === crashedBefore) await seen.next();
  let retries = 0;
  for (;;) {
    try {
      if ((await proxy.inc(1)) !== 2) throw new Error("inc(1) after the restart returned a wrong answer");
      break;
    } catch (err) {
      if (err?.code !== "CHIP_ERR_MODULE_DOWN") throw err;
      retries++;
      await seen.next(1);
    }
  }
  const serving = performance.now() - t0;
  while (restarted.length === restartedBefore) await seen.next();
  const last = restarted.at(-1);
  return {
    serving,
    detected: crashed.at(-1).at - t0,
    restarted: last.at - t0,
    attempt: last.attempt,
    retries,
  };
}

export async function run({
  startSamples = 30,
  startWarmup = 2,
  rounds = 10,
  latencyCalls = 300,
  throughputCalls = 30_000,
  crashSamples = 30,
  crashWarmup = 2,
} = {}) {
  const root = tempDir("isolation");
  // Blank pool hosts do not keep the event loop alive (by design), so waiting on one would let
  // this process exit: hold it open while the suite runs.
  const keepAlive = setInterval(() => {}, 60_000);
  let first;
  let call;
  let crash;
  try {
    const dirs = writeModules(join(root, "modules"));
    linkChipset(root); // for the bare peers' import() of the module (Chipset links its own copy)
    const moduleUrl = pathToFileURL(join(dirs[0], "index.js")).href;
    first = await firstResult(root, dirs, moduleUrl, { samples: startSamples, warmup: startWarmup });
    call = await calls(root, dirs, { rounds, latencyCalls, throughputCalls });
    crash = await crashes(root, dirs, { samples: crashSamples, warmup: crashWarmup });
  } finally {
    clearInterval(keepAlive);
    removeDir(root);
  }

  const tables = [firstTable(first), callTable(call), crashTable(crash, first)];
  console.log("\n## 4. Isolation: worker and process hosts");
  for (const t of tables) console.log(`\n### ${t.title}\n${table(t.header, t.rows)}`);

  const wl = call.worker.latency;
  const wt = call.worker.inFlight;
  const m = (a, b) => a.median / b.median;
  const ratios = {
    workerWarmVsBareStart: m(first.worker.warm, first.worker.bare),
    workerWarmVsBareLoad: m(first.worker.warm, first.worker.bareLoad),
    workerColdVsBareStart: m(first.worker.cold, first.worker.bare),
    processWarmVsBareStart: m(first.process.warm, first.process.bare),
    processWarmVsBareLoad: m(first.process.warm, first.process.bareLoad),
    processColdVsBareStart: m(first.process.cold, first.process.bare),
    workerCrashWarmVsBareStart: m(crash.worker.warm.serving, first.worker.bare),
    workerCrashColdVsBareStart: m(crash.worker.cold.serving, first.worker.bare),
    processCrashWarmVsBareStart: m(crash.process.warm.serving, first.process.bare),
    processCrashColdVsBareStart: m(crash.process.cold.serving, first.process.bare),
    workerLatencyVsBare: wl.chipset.median / wl.bare.median,
    workerLatencyVsPiscina: wl.chipset.median / wl.piscina.median,
    workerThroughputVsPiscina: wt.piscina.median / wt.chipset.median,
    workerThroughputVsBare: wt.bare.median / wt.chipset.median,
    processLatencyVsBare: call.process.latency.chipset.median / call.process.latency.bare.median,
    processThroughputVsBare: call.process.inFlight.bare.median / call.process.inFlight.chipset.median,
  };
  const targets = [
    {
      name: "worker use() first result, warm pool, median < 10 ms",
      value: `${ms(first.worker.warm.median)} ms`,
      met: first.worker.warm.median < 10,
    },
    {
      name: "process use() first result, warm pool, median < 15 ms",
      value: `${ms(first.process.warm.median)} ms`,
      met: first.process.warm.median < 15,
    },
    {
      name: `worker calls, ${IN_FLIGHT} in flight: throughput >= 3x piscina (1 thread)`,
      value: x(ratios.workerThroughputVsPiscina),
      met: ratios.workerThroughputVsPiscina >= 3,
    },
    {
      name: "worker calls, 1 in flight: latency within 1.2x a bare round trip",
      value: x(ratios.workerLatencyVsBare),
      met: ratios.workerLatencyVsBare <= 1.2,
    },
    {
      name: "worker crash to serving again, warm pool, median < 50 ms",
      value: `${ms(crash.worker.warm.serving.median)} ms`,
      met: crash.worker.warm.serving.median < 50,
    },
  ];
  return { name: "isolation", stats: { first, calls: call, crashes: crash }, ratios, targets, tables };
}
