import { setMaxListeners } from "node:events";
import type { Clock } from "../common/Clock.js";
import { sleep } from "../common/race.js";
import type { Disposable } from "../common/Disposable.js";
import type { Runtime } from "../runtime/Runtime.js";
import type { ChaosEngine, FaultHandle } from "./ChaosEngine.js";
import { chaosOf } from "./chaosOf.js";
import type { Experiment, LoadSpec, ScheduledFault } from "./Experiment.js";
import { CallLog, type Phase } from "./CallLog.js";
import { buildReport, type ExperimentReport, type RecordedEvent } from "./experimentReport.js";

/** Options of {@link runExperiment}. */
export interface RunOptions {
  clock: Clock;
  signal?: AbortSignal;
  /** Told as each phase begins. */
  onPhase?: (phase: Phase, atMs: number) => void;
  /** How long calls still in flight at the end may take before they are cancelled, in ms. Default 1 000. */
  graceMs?: number;
}

/** Events the report is built from. */
const WATCHED = [
  "breaker.opened",
  "breaker.half-open",
  "breaker.closed",
  "breaker.isolated",
  "module.crashed",
  "module.restarted",
  "module.fallback",
  "module.anomaly",
] as const;

/** Most calls an open-loop load keeps in flight; past it, the load skips calls (counted) rather than pile up. */
const MAX_IN_FLIGHT = 10_000;

/**
 * Runs an experiment against a runtime: turns chaos on with the experiment's seed, layers its
 * policies over the module's own, starts its modules, drives its load through a steady phase,
 * the fault phase (faults in place on their schedule) and a second steady phase; then, whatever
 * happened, removes its faults and policy layers, carries out the rollbacks, and turns chaos
 * off unless it was on before. Resolves with the report; whether the hypothesis held is `report.held`.
 */
export async function runExperiment(
  target: Runtime,
  experiment: Experiment,
  options: RunOptions,
): Promise<ExperimentReport> {
  const { clock } = options;
  const steadyMs = experiment.steadyMs ?? 1_000;
  const seed = experiment.seed ?? 1;
  let origin = clock.now();
  const at = (): number => clock.now() - origin;
  const events: RecordedEvent[] = [];
  const calls = new CallLog(seed);
  let phase: Phase = "before";
  const owned: Disposable[] = [];
  const stopLoad = new AbortController();
  const cancel = new AbortController();
  setMaxListeners(0, cancel.signal); // one listener per call in flight: thousands, by design
  const onAbort = () => cancel.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const startedAt = new Date().toISOString();
  const bounds = { during: 0, after: 0, end: 0 };
  const faultCounts = new Map<ScheduledFault, number>();
  let skipped = 0;
  // Chaos stays as the application had it: on (with its own faults) or off.
  const chaos = chaosOf(target);
  const chaosWasOn = chaos.enabled;
  chaos.enable(seed);
  try {
    for (const [id, calls] of Object.entries(experiment.policies ?? {}))
      owned.push(target.policies.layer(id, calls));
    for (const id of experiment.start ?? []) await target.start(id);
    for (const name of WATCHED)
      owned.push(
        target.on(name, (e: object) =>
          events.push({ name, atMs: at(), event: e as Record<string, unknown> }),
        ),
      );
    origin = clock.now(); // times count from the first call, after the set-up
    const loads = experiment.load.map((spec) =>
      drive(
        target,
        spec,
        clock,
        stopLoad.signal,
        cancel.signal,
        () => ({ phase, atMs: at() }),
        calls,
        () => skipped++,
      ),
    );
    options.onPhase?.("before", 0);
    await sleep(clock, steadyMs, cancel.signal);
    bounds.during = at();
    phase = "during";
    calls.faultsEndAt(
      bounds.during +
        Math.max(
          0,
          ...experiment.faults.map((f) => Math.min(f.endMs ?? experiment.durationMs, experiment.durationMs)),
        ),
    );
    options.onPhase?.("during", bounds.during);
    const faults = experiment.faults.map((f) =>
      schedule(chaos, f, experiment.durationMs, clock, faultCounts),
    );
    owned.push(...faults); // removed in any case, even if a wait below throws
    await sleep(clock, experiment.durationMs, cancel.signal);
    for (const f of faults) f.dispose();
    bounds.after = at();
    phase = "after";
    options.onPhase?.("after", bounds.after);
    await sleep(clock, steadyMs, cancel.signal);
    bounds.end = at();
    stopLoad.abort();
    // Calls in flight get a grace period, then are cancelled (a hung call is a failure, not a wait).
    const grace = clock.setTimeout(() => cancel.abort(), options.graceMs ?? 1_000);
    await Promise.all(loads);
    grace.dispose();
  } finally {
    stopLoad.abort();
    cancel.abort();
    options.signal?.removeEventListener("abort", onAbort);
    for (const d of owned.reverse()) d.dispose();
    if (!chaosWasOn) chaos.disable();
  }
  const rollbacks = await rollBack(target, experiment);
  options.signal?.throwIfAborted();
  return buildReport({
    experiment,
    seed,
    startedAt,
    durationMs: at(),
    phases: {
      before: [0, bounds.during],
      during: [bounds.during, bounds.after],
      after: [bounds.after, bounds.end],
    },
    calls,
    events,
    skipped,
    breakers: target.policies.breakers(),
    faults: experiment.faults.map((f) => ({ fault: f, injected: faultCounts.get(f) ?? 0 })),
    rollbacks,
  });
}

/** Drives one load until `stop` fires; each call is recorded by the time it began. */
async function drive(
  target: Runtime,
  spec: LoadSpec,
  clock: Clock,
  stop: AbortSignal,
  cancel: AbortSignal,
  now: () => { phase: Phase; atMs: number },
  calls: CallLog,
  skip: () => void,
): Promise<void> {
  const dot = spec.call.lastIndexOf(".");
  const ref = spec.call.slice(0, dot);
  const method = spec.call.slice(dot + 1);
  const args = spec.args ?? [];
  const one = async (): Promise<void> => {
    const { phase, atMs: startMs } = now();
    const outcome = await target.callDetailed(ref, method, args, { signal: cancel });
    calls.record({
      phase,
      call: spec.call,
      startMs,
      durationMs: outcome.durationMs,
      ok: outcome.ok,
      ...(outcome.answeredBy === undefined ? {} : { answeredBy: outcome.answeredBy }),
      ...(outcome.error === undefined ? {} : { code: outcome.error.code }),
    });
  };
  if (spec.concurrency !== undefined) {
    const worker = async (): Promise<void> => {
      while (!stop.aborted) {
        await one();
        // A call answered synchronously (an inline fallback) settles in a microtask: without a
        // turn of the event loop, a closed loop would starve every timer, the phases' included.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all(Array.from({ length: spec.concurrency }, worker));
    return;
  }
  // Open loop: calls are due at `rate` per second whatever the answers; a tick issues the ones due.
  const rate = spec.rate!;
  const inFlight = new Set<Promise<void>>();
  const tickMs = Math.max(1, Math.min(20, Math.floor(1000 / rate)));
  let issued = 0;
  const begun = clock.now();
  while (!stop.aborted) {
    const due = Math.floor(((clock.now() - begun) * rate) / 1000) - issued;
    for (let i = 0; i < due; i++) {
      issued++;
      if (inFlight.size >= MAX_IN_FLIGHT) {
        skip();
        continue;
      }
      const p = one().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await sleep(clock, tickMs, stop);
  }
  await Promise.all(inFlight);
}

/** Puts a fault in place on its schedule within the fault phase; dispose at the phase's end. */
function schedule(
  chaos: ChaosEngine,
  fault: ScheduledFault,
  durationMs: number,
  clock: Clock,
  counts: Map<ScheduledFault, number>,
): Disposable {
  const { startMs = 0, endMs = durationMs, everyMs, ...spec } = fault;
  const timers: Disposable[] = [];
  let placed: FaultHandle | undefined;
  const count = (n: number): void => void counts.set(fault, (counts.get(fault) ?? 0) + n);
  const begin = (): void => {
    if (everyMs !== undefined) {
      const crash = (): void => {
        count(chaos.crash(spec.target ?? {}, `chaos: ${fault.name ?? "scheduled crash"}`).length);
        timers.push(clock.setTimeout(crash, everyMs));
      };
      crash();
    } else {
      placed = chaos.inject(spec);
    }
  };
  const end = (): void => {
    for (const t of timers.splice(0)) t.dispose();
    if (placed !== undefined) {
      count(placed.injected);
      placed.dispose();
      placed = undefined;
    }
  };
  timers.push(clock.setTimeout(begin, startMs));
  const ending = clock.setTimeout(end, endMs);
  return {
    dispose() {
      ending.dispose();
      end();
      for (const t of timers.splice(0)) t.dispose();
    },
  };
}

async function rollBack(
  target: Runtime,
  experiment: Experiment,
): Promise<Array<{ action: string; module: string; error?: string }>> {
  const done: Array<{ action: string; module: string; error?: string }> = [];
  for (const r of experiment.rollbacks ?? []) {
    try {
      if (r.action === "restart") {
        await target.stop(r.module, { cascade: true });
        await target.start(r.module);
      } else if (r.action === "start") await target.start(r.module);
      else if (r.action === "resume") await target.resume(r.module);
      else target.policies.reset(r.module);
      done.push({ action: r.action, module: r.module });
    } catch (err) {
      done.push({ action: r.action, module: r.module, error: (err as Error).message });
    }
  }
  return done;
}
