import { ownValue } from "../common/ownValue.js";
import type { BreakerSnapshot } from "../policies/PolicyBook.js";
import type { BreakerCheck, Experiment, HypothesisCheck, ScheduledFault } from "./Experiment.js";
import { faultName } from "./faults.js";
import type { CallLog, CallTally, Phase, RecordedCall } from "./CallLog.js";

export type { CallTally, Phase, RecordedCall } from "./CallLog.js";

/** One runtime event seen during the experiment. */
export interface RecordedEvent {
  name: string;
  atMs: number;
  event: Record<string, unknown>;
}

/** Latency of a phase's calls, in ms. */
export interface Latency {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** One check and what was measured. */
export interface CheckResult {
  /** The check in words: `successRate >= 0.999`. */
  check: string;
  observed: number | string;
  held: boolean;
}

/** One phase of the report. */
export interface PhaseReport {
  fromMs: number;
  toMs: number;
  calls: CallTally;
  /** Percentiles of every call of the phase, or of a uniform sample of 50,000 when there were more. */
  latency: Latency & { sampled: boolean };
  checks: CheckResult[];
}

/** What `chipset chaos run` writes (as JSON) and summarises. */
export interface ExperimentReport {
  name: string;
  seed: number;
  startedAt: string;
  durationMs: number;
  /** Whether every check of every phase held. */
  held: boolean;
  phases: Record<Phase, PhaseReport>;
  faults: Array<{ name: string; kind: string; startMs: number; endMs: number; injected: number }>;
  breakers: {
    transitions: Array<{ atMs: number; id: string; method?: string; to: string; reason?: string }>;
    /** Each breaker's state at the end. */
    final: BreakerSnapshot[];
  };
  crashes: number;
  restarts: number;
  /** Time calls to each module went to its fallback module, in ms. */
  fallbackMs: Record<string, number>;
  /** From the end of the last fault to the first of ten calls in a row answered by their module, in ms; null if that never came. */
  recoveryMs: number | null;
  anomalies: Array<{ atMs: number; id: string; method?: string; metric: string; active: boolean }>;
  /** Load calls not made because too many were in flight. */
  skipped: number;
  rollbacks: Array<{ action: string; module: string; error?: string }>;
  /** The checks that did not hold, with their phase. */
  failed: Array<CheckResult & { phase: Phase }>;
}

/** What the runner hands over. */
export interface ReportInput {
  experiment: Experiment;
  seed: number;
  startedAt: string;
  durationMs: number;
  phases: Record<Phase, [number, number]>;
  calls: CallLog;
  events: RecordedEvent[];
  skipped: number;
  breakers: BreakerSnapshot[];
  faults: Array<{ fault: ScheduledFault; injected: number }>;
  rollbacks: Array<{ action: string; module: string; error?: string }>;
}

/** Builds the report: every phase's calls, latency and checks, and the whole run's events. */
export function buildReport(input: ReportInput): ExperimentReport {
  const { experiment, calls, events } = input;
  const hypothesis = experiment.hypothesis;
  const checksOf: Record<Phase, Array<HypothesisCheck | BreakerCheck>> = {
    before: [...(hypothesis.steadyState ?? []), ...(hypothesis.before ?? [])],
    during: hypothesis.during ?? [],
    after: [...(hypothesis.steadyState ?? []), ...(hypothesis.after ?? [])],
  };
  const phases = {} as Record<Phase, PhaseReport>;
  const failed: ExperimentReport["failed"] = [];
  for (const phase of ["before", "during", "after"] as const) {
    const [fromMs, toMs] = input.phases[phase];
    const seen = events.filter((e) => e.atMs >= fromMs && e.atMs < toMs);
    const finalState = phase === "after" ? input.breakers : breakerStatesAt(events, toMs);
    const checks = checksOf[phase].map((check) => evaluate(check, calls, phase, seen, finalState));
    for (const c of checks) if (!c.held) failed.push({ ...c, phase });
    const kept = calls.kept(phase);
    phases[phase] = {
      fromMs,
      toMs,
      calls: calls.tally(phase),
      latency: { ...latency(kept), sampled: calls.sampled(phase) },
      checks,
    };
  }
  return {
    name: experiment.name,
    seed: input.seed,
    startedAt: input.startedAt,
    durationMs: Math.round(input.durationMs),
    held: failed.length === 0,
    phases,
    faults: input.faults.map(({ fault, injected }) => ({
      name: faultName(fault),
      kind: fault.kind,
      startMs: fault.startMs ?? 0,
      endMs: fault.endMs ?? experiment.durationMs,
      injected,
    })),
    breakers: {
      transitions: events
        .filter((e) => e.name.startsWith("breaker."))
        .map((e) => ({
          atMs: round(e.atMs),
          id: String(e.event.id),
          ...optional("method", e),
          to: e.name === "breaker.opened" ? "open" : e.name.slice("breaker.".length),
          ...optional("reason", e),
        })),
      final: input.breakers,
    },
    crashes: events.filter((e) => e.name === "module.crashed").length,
    restarts: events.filter((e) => e.name === "module.restarted").length,
    fallbackMs: fallbackTime(events, input.durationMs),
    recoveryMs: calls.recoveryMs === null ? null : round(calls.recoveryMs),
    anomalies: events
      .filter((e) => e.name === "module.anomaly")
      .map((e) => ({
        atMs: round(e.atMs),
        id: String(e.event.id),
        ...optional("method", e),
        metric: String(e.event.metric),
        active: e.event.active === true,
      })),
    skipped: input.skipped,
    rollbacks: input.rollbacks,
    failed,
  };
}

function latency(calls: readonly RecordedCall[]): Latency {
  const sorted = calls.map((c) => c.durationMs).sort((a, b) => a - b);
  return {
    p50Ms: round(quantile(sorted, 0.5)),
    p95Ms: round(quantile(sorted, 0.95)),
    p99Ms: round(quantile(sorted, 0.99)),
    maxMs: round(sorted.at(-1) ?? 0),
  };
}

/** Nearest-rank quantile of sorted values (0 for none). */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function evaluate(
  check: HypothesisCheck | BreakerCheck,
  calls: CallLog,
  phase: Phase,
  events: readonly RecordedEvent[],
  breakers: readonly BreakerSnapshot[],
): CheckResult {
  if ("breaker" in check) {
    const { module, method } = check.breaker;
    const found = breakers.find((b) => b.id === module && b.method === method);
    const observed = found?.state ?? "closed"; // a breaker never made has never opened
    return {
      check: `breaker ${module}${method ? `.${method}` : ""} is ${check.state}`,
      observed,
      held: observed === check.state,
    };
  }
  const observed = round(measure(check, calls, phase, events), 4);
  const bounds = [
    ...(check.min === undefined ? [] : [`>= ${check.min}`]),
    ...(check.max === undefined ? [] : [`<= ${check.max}`]),
  ].join(" and ");
  const narrowed = [check.call, check.code, check.module].filter((x) => x !== undefined).join(", ");
  return {
    check: `${check.metric}${narrowed ? ` (${narrowed})` : ""} ${bounds}`,
    observed,
    held:
      (check.min === undefined || observed >= check.min) &&
      (check.max === undefined || observed <= check.max),
  };
}

function measure(
  check: HypothesisCheck,
  calls: CallLog,
  phase: Phase,
  events: readonly RecordedEvent[],
): number {
  // Rates and counts are exact; latency comes from the calls kept (all, or a uniform sample).
  const tally = calls.tally(phase, check.call);
  const kept = calls
    .kept(phase)
    .filter(
      (c) =>
        (check.call === undefined || c.call === check.call) &&
        (check.code === undefined || c.code === check.code),
    );
  const ofModule = (name: string) =>
    events.filter((e) => e.name === name && (check.module === undefined || e.event.id === check.module));
  const latencyOf = latency(kept);
  switch (check.metric) {
    case "successRate":
      return tally.total === 0 ? 0 : (tally.ok + tally.fallback) / tally.total;
    case "fallbackRate":
      return tally.total === 0 ? 0 : tally.fallback / tally.total;
    case "count":
      return check.code === undefined ? tally.total : (ownValue(tally.byCode, check.code) ?? 0);
    case "p50Ms":
      return latencyOf.p50Ms;
    case "p95Ms":
      return latencyOf.p95Ms;
    case "p99Ms":
      return latencyOf.p99Ms;
    case "maxMs":
      return latencyOf.maxMs;
    case "breakerOpened":
      return ofModule("breaker.opened").length;
    case "restarts":
      return ofModule("module.restarted").length;
    case "crashes":
      return ofModule("module.crashed").length;
    case "anomalies":
      return ofModule("module.anomaly").filter((e) => e.event.active === true).length;
  }
}

/** The state of every breaker at `atMs`, from the transitions seen until then. */
function breakerStatesAt(events: readonly RecordedEvent[], atMs: number): BreakerSnapshot[] {
  const states = new Map<string, BreakerSnapshot>();
  for (const e of events) {
    if (e.atMs >= atMs || !e.name.startsWith("breaker.")) continue;
    const id = String(e.event.id);
    const method = text(e, "method");
    const state =
      e.name === "breaker.opened" ? "open" : (e.name.slice("breaker.".length) as BreakerSnapshot["state"]);
    states.set(`${id}\0${method ?? ""}`, { id, ...(method === undefined ? {} : { method }), state });
  }
  return [...states.values()];
}

function fallbackTime(events: readonly RecordedEvent[], endMs: number): Record<string, number> {
  const since = new Map<string, number>();
  // Keyed by module id: no prototype, so an id such as `constructor` starts from nothing.
  const total = Object.create(null) as Record<string, number>;
  for (const e of events) {
    if (e.name !== "module.fallback") continue;
    const id = String(e.event.id);
    if (e.event.active === true) since.set(id, e.atMs);
    else if (since.has(id)) {
      total[id] = round((total[id] ?? 0) + e.atMs - since.get(id)!);
      since.delete(id);
    }
  }
  for (const [id, from] of since) total[id] = round((total[id] ?? 0) + endMs - from);
  return total;
}

/** A string field of an event's payload, or undefined. */
function text(e: RecordedEvent, name: string): string | undefined {
  const value = e.event[name];
  return typeof value === "string" ? value : undefined;
}

/** `{ [name]: value }` when the event has that string field, else `{}`. */
function optional(name: string, e: RecordedEvent): Record<string, string> {
  const value = text(e, name);
  return value === undefined ? {} : { [name]: value };
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The report as lines for people: the verdict, each phase, faults, breakers, recovery. */
export function describeReport(r: ExperimentReport): string[] {
  const lines = [
    `experiment "${r.name}" (seed ${r.seed}): ${r.held ? "the hypothesis HELD" : "the hypothesis did NOT hold"}`,
  ];
  for (const phase of ["before", "during", "after"] as const) {
    const p = r.phases[phase];
    const codes = Object.entries(p.calls.byCode)
      .map(([code, n]) => `${code} ${n}`)
      .join(", ");
    lines.push(
      `  ${phase.padEnd(6)} ${Math.round(p.fromMs)}-${Math.round(p.toMs)} ms: ${p.calls.total} calls, ${p.calls.ok} ok, ${p.calls.fallback} by fallback, ${p.calls.failed} failed${codes ? ` (${codes})` : ""}; p50 ${p.latency.p50Ms} ms, p99 ${p.latency.p99Ms} ms, max ${p.latency.maxMs} ms`,
    );
    for (const c of p.checks) lines.push(`         ${c.held ? "ok  " : "FAIL"} ${c.check}: ${c.observed}`);
  }
  for (const f of r.faults)
    lines.push(`  fault  ${f.name} (${f.startMs}-${f.endMs} ms): injected ${f.injected} times`);
  const t = r.breakers.transitions;
  if (t.length > 0)
    lines.push(
      `  breakers: ${t.map((x) => `${x.id}${x.method ? `.${x.method}` : ""} ${x.to} at ${Math.round(x.atMs)} ms`).join(", ")}`,
    );
  const fallback = Object.entries(r.fallbackMs).map(([id, ms]) => `${id} ${Math.round(ms)} ms`);
  lines.push(
    `  crashes ${r.crashes}, restarts ${r.restarts}` +
      (fallback.length > 0 ? `, on fallback: ${fallback.join(", ")}` : "") +
      `, recovered ${r.recoveryMs === null ? "never (no ten good calls in a row after the faults)" : `${Math.round(r.recoveryMs)} ms after the faults ended`}`,
  );
  if (r.anomalies.length > 0)
    lines.push(
      `  anomalies: ${r.anomalies.map((a) => `${a.id}${a.method ? `.${a.method}` : ""} ${a.metric} ${a.active ? "began" : "ended"} at ${Math.round(a.atMs)} ms`).join(", ")}`,
    );
  if (r.skipped > 0) lines.push(`  ${r.skipped} load calls skipped (too many in flight)`);
  for (const rb of r.rollbacks) lines.push(`  rollback ${rb.action} ${rb.module}: ${rb.error ?? "done"}`);
  return lines;
}
