/**
 * Soak test: a steady call load over modules on all three hosts while a seeded schedule crashes
 * them in every way docs/isolation.md lists; then checks that the runtime stayed up, no call was
 * lost, every error had a documented code, nothing was left behind and the heap did not grow.
 *   npm run soak                      build, then 60 s
 *   node --expose-gc soak/soak.mjs --seconds 600 --seed 7 --modules 30 --json soak.json
 * Exits 0 when every check holds, 1 otherwise (the report says which failed).
 */
import { writeFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { createRuntime } from "../dist/index.js";
import { CallLog } from "./calls.mjs";
import { startChaos } from "./chaos.mjs";
import {
  descendantProcesses,
  collectedHeap,
  documentedCodes,
  hasProc,
  isAlive,
  judge,
  poll,
  threadCount,
  warmThreadPool,
} from "./checks.mjs";
import { startLoad } from "./load.mjs";
import { streams } from "./random.mjs";
import { awaitRecovery } from "./recovery.mjs";
import { formatReport, summarize } from "./report.mjs";
import { Tally } from "./tally.mjs";
import { moduleSpecs, writeWorkspace } from "./workspace.mjs";

const SETTINGS = {
  /** Calls a second to `work`, and how many may be in flight at once. */
  rate: 300,
  concurrency: 64,
  /** Each call's AbortSignal fires after this (ms); a call unsettled `graceMs` later is hung. */
  callTimeoutMs: 3000,
  graceMs: 2000,
  /**
   * Short, so that hangs are noticed (and recovered from) many times in a run: a host silent for
   * three windows of 1 s in a row is hung (ms). With one window of 1.5 s, healthy modules and
   * workers busy exhausting their heap were ended as hung on a loaded machine.
   */
  heartbeatMs: 100,
  hangTimeoutMs: 1000,
  hangFailureThreshold: 3,
  /** The longest the runtime's own event loop may stall (ms). */
  maxStallMs: 1500,
  shutdownTimeoutMs: 5000,
  /** A crash is set off every 150 to 300 ms. */
  crashEveryMs: [150, 300],
  /** Load without chaos before the heap baseline (ms). */
  warmupMs: 1000,
  /** Most the runtime's own heap may grow between warm-up and the end (MB). */
  heapGrowthLimitMb: 32,
  /** Least share of load calls answered despite the chaos (a seed-1 run answers 75 to 90%). */
  minOkShare: 0.5,
  /** How long modules may take to serve again once the chaos stops (ms). */
  recoveryMs: 10_000,
  /** How long threads and processes may take to end after `close()` (ms). */
  osSettleMs: 5000,
};

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: "string", default: "60" },
      seed: { type: "string", default: "1" },
      modules: { type: "string", default: "21" },
      json: { type: "string" },
    },
  });
  const options = {
    seconds: Number(values.seconds),
    seed: Number(values.seed),
    modules: Number(values.modules),
  };
  if (!(options.seconds > 0)) throw new Error(`--seconds must be a positive number, not ${values.seconds}`);
  if (!Number.isInteger(options.seed)) throw new Error(`--seed must be an integer, not ${values.seed}`);
  // Below three, a host would have no module and its crash kinds could not be covered.
  if (!(Number.isInteger(options.modules) && options.modules >= 3))
    throw new Error(`--modules must be an integer of at least 3, not ${values.modules}`);
  return { ...options, json: values.json };
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (typeof globalThis.gc !== "function") throw new Error("run with node --expose-gc (npm run soak does)");
  await warmThreadPool();
  const threadsBefore = hasProc ? threadCount() : undefined;
  const specs = moduleSpecs(options.modules);
  const workspace = writeWorkspace(specs);
  try {
    const summary = await soak(options, specs, workspace, threadsBefore);
    console.log(formatReport(summary));
    if (options.json) writeFileSync(options.json, `${JSON.stringify(summary, null, 2)}\n`);
    return summary.ok;
  } finally {
    workspace.dispose();
  }
}

async function soak(options, specs, workspace, threadsBefore) {
  const random = streams(options.seed);
  const runtime = createRuntime({
    dataDir: workspace.dataDir,
    moduleDirs: [workspace.modulesDir],
    config: workspace.config,
    logLevel: "silent",
    hosts: {
      heartbeatMs: SETTINGS.heartbeatMs,
      hangTimeoutMs: SETTINGS.hangTimeoutMs,
      hangFailureThreshold: SETTINGS.hangFailureThreshold,
    },
    // Modules must keep coming back for the whole run: quick restarts, and no giving up.
    restart: { initialDelayMs: 10, maxDelayMs: 500, maxRestarts: 1000, withinMs: 60_000 },
    shutdownTimeoutMs: SETTINGS.shutdownTimeoutMs,
    random: random.backoff,
  });
  const tally = new Tally(runtime, specs);
  const calls = new CallLog({ timeoutMs: SETTINGS.callTimeoutMs, graceMs: SETTINGS.graceMs });
  const ids = specs.map((s) => s.id);
  const load = () =>
    startLoad({
      runtime,
      ids,
      calls,
      random: random.load,
      rate: SETTINGS.rate,
      concurrency: SETTINGS.concurrency,
    });

  await runtime.start();
  await Promise.all(ids.map((id) => runtime.start(id)));
  // The first calls compile code and fill caches and the store: the heap baseline comes after.
  const warmUp = load();
  await sleep(SETTINGS.warmupMs);
  warmUp.stop();
  await calls.settled();
  const heapBefore = await collectedHeap();

  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const steady = load();
  const chaos = startChaos({
    runtime,
    specs,
    calls,
    tally,
    random: random.chaos,
    intervalMs: SETTINGS.crashEveryMs,
    pendingMs: SETTINGS.hangTimeoutMs * SETTINGS.hangFailureThreshold + SETTINGS.graceMs,
  });
  await sleep(options.seconds * 1000);
  chaos.stop();
  steady.stop();
  await calls.settled();
  loop.disable();

  const recoveryStarted = performance.now();
  const down = await awaitRecovery({ runtime, ids, calls, timeoutMs: SETTINGS.recoveryMs });
  const recoveryMs = performance.now() - recoveryStarted;
  const heapAfter = await collectedHeap();
  const closing = await closeWithin(runtime, SETTINGS.shutdownTimeoutMs + SETTINGS.osSettleMs);
  tally.dispose();
  const os = hasProc ? await osAfterShutdown(tally, threadsBefore) : undefined;

  const checks = judge({
    ...SETTINGS,
    ...closing,
    documented: documentedCodes(new URL("../docs/errors.md", import.meta.url)),
    calls,
    loopMaxMs: loop.max / 1e6,
    down,
    recoveryMs,
    heapGrowthBytes: heapAfter - heapBefore,
    os,
  });
  return summarize({
    options,
    settings: SETTINGS,
    calls,
    tally,
    chaos,
    fallbackAnswers: steady.fallbackAnswers,
    resources: {
      heapBeforeMb: heapBefore / 2 ** 20,
      heapAfterMb: heapAfter / 2 ** 20,
      loopP99Ms: loop.percentile(99) / 1e6,
      loopMaxMs: loop.max / 1e6,
    },
    checks,
  });
}

/** `runtime.close()`, given up on after `ms` (a close that never ends is a failure, not a stuck soak). */
async function closeWithin(runtime, ms) {
  const started = performance.now();
  const deadline = sleep(ms, "timeout", { ref: false });
  try {
    const outcome = await Promise.race([runtime.close(), deadline]);
    if (outcome === "timeout")
      return { closed: false, closeError: `close() had not finished after ${ms} ms` };
    return { closed: true, closeMs: performance.now() - started };
  } catch (error) {
    return { closed: false, closeError: `close() failed: ${error.code ?? ""} ${error.message}` };
  }
}

/** What is left of the hosts once they had `osSettleMs` to end. */
async function osAfterShutdown(tally, threadsBefore) {
  const { osSettleMs } = SETTINGS;
  const pidsLeft = await poll(
    () => [...tally.childPids].filter(isAlive),
    (left) => left.length === 0,
    osSettleMs,
  );
  const childrenLeft = await poll(
    () => descendantProcesses(tally.childPids),
    (left) => left.length === 0,
    osSettleMs,
  );
  const threadsAfter = await poll(threadCount, (n) => n <= threadsBefore, osSettleMs);
  return { pidsSeen: tally.childPids.size, pidsLeft, childrenLeft, threadsBefore, threadsAfter };
}

main().then(
  (ok) => {
    process.exitCode = ok ? 0 : 1;
    // Everything was released: the process should now end by itself. If a handle keeps it alive
    // (a worker, a child's pipe, a timer of the runtime), that is a leak too.
    setTimeout(() => {
      console.error(
        `FAIL: still running 5 s after the soak; live handles: ${process.getActiveResourcesInfo().join(", ")}`,
      );
      process.exit(1);
    }, 5000).unref();
  },
  (error) => {
    console.error(error);
    // The runtime may still hold workers and children: they end with the process.
    process.exit(1);
  },
);
