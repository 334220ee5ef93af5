/**
 * Benchmark 13.2 (bench/replicas.mjs): a replica crashes under a steady load of idempotent calls.
 * Eight callers keep calling `work(x, 20000)` (about 40 µs of CPU) on a module with three worker
 * replicas (round_robin, and least_loaded), the method declared idempotent with a small retry (3 attempts, 1 ms
 * then 2 ms apart). After `steadyMs`, `runtime.faultHost("id@1.0.0#1", crash)` crashes replica
 * 1's worker (an uncaught error in it); the load goes on until the supervisor has restarted it
 * and `afterMs` more. The peer, sampled alternately in the same runtime: the same module and load
 * with one replica, whose crash leaves nothing to serve. Each call's start, end, attempts and
 * outcome are kept; the figures of one sample are read from them (see {@link measure}).
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createRuntime } from "chipset";
import { running, writeReplicated } from "./replicasModule.mjs";
import { work } from "./replicasTask.mjs";
import { collect, median, summarize } from "./lib/stats.mjs";
import { countIn, failureKind } from "./lib/tally.mjs";

const LANES = 8;
/** How long a restart may take before the bench gives up and says what it saw. */
const RESTART_LIMIT_MS = 15_000;
const ROUNDS = 20_000;
const RETRY = { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5, jitter: 0 };
const CALLS = { methods: { work: { idempotent: true, retry: RETRY } } };
/** The setups: which replica is crashed in each. */
const SETUPS = {
  three: { replicas: { min: 3, max: 3, strategy: "round_robin" }, victim: "#1" },
  threeLeast: { replicas: { min: 3, max: 3, strategy: "least_loaded" }, victim: "#1" },
  one: { replicas: { min: 1, max: 1, strategy: "round_robin" }, victim: "" },
};

/** The module id of a setup. */
const idOf = (name) => `bench-crash-${name.toLowerCase()}`;

/** Events of the runtime, each with the time it arrived; `waitFor` resolves on one that matches. */
class EventLog {
  entries = [];
  #waiters = [];

  constructor(runtime, names) {
    for (const name of names)
      runtime.on(name, (e) => {
        this.entries.push({ name, at: performance.now(), ...e });
        for (const wake of this.#waiters.splice(0)) wake();
      });
  }

  /** The first entry from index `from` on that `match`es, once there is one. */
  async waitFor(match, from) {
    for (;;) {
      const found = this.entries.slice(from).find(match);
      if (found !== undefined) return found;
      await new Promise((resolve) => this.#waiters.push(resolve));
    }
  }
}

/**
 * One crash under load on module `id` (`count` replicas), of instance `victim`: returns the
 * calls made ({ start, end, ok, attempts, kind }), the crash time `t0` and the events after it.
 */
async function crashOnce(runtime, log, { id, count, victim, steadyMs, afterMs, expected }) {
  const calls = [];
  let stop = false;
  let next = 0;
  const lane = async () => {
    while (!stop) {
      const i = next++;
      const start = performance.now();
      const r = await runtime.callDetailed(id, "work", [i & 63, ROUNDS]);
      const end = performance.now();
      const ok = r.ok && r.value === expected[i & 63];
      calls.push({
        start,
        end,
        ok,
        attempts: r.attempts,
        kind: r.ok ? (ok ? "ok" : "wrong") : failureKind(r.error),
      });
      // A caller backs off after a failure. Without a wait, a module down after a crash refuses
      // the next call within the same microtask queue, and the loop never lets the restart run.
      if (!ok) await sleep(1);
    }
  };
  collect();
  const lanes = Promise.all(Array.from({ length: LANES }, lane));
  await sleep(steadyMs);
  const mark = log.entries.length;
  const t0 = performance.now();
  if (!runtime.faultHost(victim, { action: "crash", message: "bench: replica crash" }))
    throw new Error(`no live instance ${victim}`);
  const restarted = await Promise.race([
    log.waitFor((e) => e.name === "module.restarted" && e.id === id, mark),
    sleep(RESTART_LIMIT_MS, undefined, { ref: false }),
  ]);
  if (restarted === undefined) {
    stop = true;
    await lanes;
    const states = runtime
      .instances()
      .filter((i) => i.id === id)
      .map((i) => `${i.key} ${i.state}`);
    const seen = log.entries.slice(mark).filter((e) => e.id === id);
    throw new Error(
      `${victim} was not restarted within ${RESTART_LIMIT_MS} ms of its crash; instances: ${states.join(", ")}; events: ${JSON.stringify(seen.map((e) => ({ name: e.name, at: e.at - t0, replica: e.replica, to: e.to ?? e.event, reason: e.reason })))}`,
    );
  }
  await sleep(afterMs);
  stop = true;
  await lanes;
  await running(runtime, id, count);
  const crashed = log.entries.slice(mark).find((e) => e.name === "module.crashed" && e.id === id);
  return {
    calls,
    t0,
    crashedAt: crashed?.at ?? NaN,
    restartedAt: restarted.at,
    events: log.entries.slice(mark),
  };
}

/**
 * The figures of one crash, in ms from the crash (`t0`, just before `faultHost`):
 *   detected: `module.crashed`; restarted: `module.restarted`;
 *   retried: calls that needed more than one attempt (those the crash caught, and those sent to
 *     the crashed replica before the crash was known); servedElsewhere: the last of them answered;
 *   gap: the longest time without any call answered, from the crash to the first answer after
 *     the restart (how long the module stopped serving); gapAt: when that gap began;
 *   maxLatency: the longest call among those in flight between the crash and the restart;
 *   steady: the median call before the crash; lost: calls that failed (or answered wrong).
 */
function measure({ calls, t0, crashedAt, restartedAt }) {
  const retried = calls.filter((c) => c.attempts > 1 && c.end > t0);
  const okEnds = calls
    .filter((c) => c.ok && c.end > t0)
    .map((c) => c.end)
    .sort((a, b) => a - b);
  let gap = 0;
  let gapAt = 0;
  let prev = t0;
  for (const end of okEnds) {
    if (end - prev > gap) {
      gap = end - prev;
      gapAt = prev - t0;
    }
    prev = end;
    if (end > restartedAt) break;
  }
  const around = calls.filter((c) => c.end > t0 && c.start < restartedAt);
  const failures = {};
  for (const c of calls) if (!c.ok) countIn(failures, c.kind);
  return {
    detected: crashedAt - t0,
    restarted: restartedAt - t0,
    retried: retried.length,
    servedElsewhere: retried.some((c) => c.ok)
      ? Math.max(...retried.filter((c) => c.ok).map((c) => c.end)) - t0
      : NaN,
    gap,
    gapAt,
    maxLatency: Math.max(...around.map((c) => c.end - c.start)),
    steady: median(calls.filter((c) => c.end <= t0).map((c) => c.end - c.start)),
    calls: calls.length,
    lost: calls.length - calls.filter((c) => c.ok).length,
    failures,
  };
}

/**
 * Runs `warmup + samples` crashes of each setup, alternately, in one runtime (restarts without
 * backoff that never give up); answers per setup a summary of each figure over the samples, and
 * the failures by kind over all of them.
 */
export async function crashes(root, { samples, warmup, steadyMs, afterMs }) {
  const dirs = Object.entries(SETUPS).map(([name, { replicas }]) =>
    writeReplicated(join(root, "modules"), idOf(name), { replicas, calls: CALLS }),
  );
  const runtime = createRuntime({
    dataDir: join(root, "data"),
    preload: 0,
    logLevel: "silent",
    hosts: { pool: { worker: 0, process: 0 } },
    restart: { initialDelayMs: 0, maxRestarts: 1_000_000, resetAfterMs: 0 },
  });
  for (const dir of dirs) runtime.add(dir);
  await runtime.start();
  const log = new EventLog(runtime, [
    "module.crashed",
    "module.restarted",
    "replica.health",
    "replica.ejection",
  ]);
  const expected = Array.from({ length: 64 }, (_, i) => work(i, ROUNDS));
  const kept = Object.fromEntries(Object.keys(SETUPS).map((name) => [name, []]));
  const failures = Object.fromEntries(Object.keys(SETUPS).map((name) => [name, {}]));
  const ejections = [];
  try {
    for (const [name, { replicas }] of Object.entries(SETUPS)) {
      const id = idOf(name);
      await runtime.start(id);
      await running(runtime, id, replicas.min);
    }
    for (let i = 0; i < warmup + samples; i++)
      for (const [name, { replicas, victim }] of Object.entries(SETUPS)) {
        const id = idOf(name);
        const run = await crashOnce(runtime, log, {
          id,
          count: replicas.min,
          victim: `${id}@1.0.0${victim}`,
          steadyMs,
          afterMs,
          expected,
        });
        ejections.push(...run.events.filter((e) => e.name === "replica.ejection"));
        if (i < warmup) continue;
        const m = measure(run);
        kept[name].push(m);
        for (const [kind, n] of Object.entries(m.failures))
          failures[name][kind] = (failures[name][kind] ?? 0) + n;
      }
  } finally {
    await runtime.close();
  }
  const figures = [
    "detected",
    "restarted",
    "retried",
    "servedElsewhere",
    "gap",
    "gapAt",
    "maxLatency",
    "steady",
    "calls",
    "lost",
  ];
  const out = Object.fromEntries(
    Object.keys(SETUPS).map((name) => [
      name,
      {
        ...Object.fromEntries(
          figures.map((f) => [f, summarize(kept[name].map((m) => m[f]).filter(Number.isFinite))]),
        ),
        failures: failures[name],
      },
    ]),
  );
  out.ejections = ejections.map((e) => `${e.id}: ${e.event} (${e.reason})`);
  return out;
}
