import type { Clock, Timer } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";
import { EventSource } from "../common/Event.js";
import {
  sampleKey,
  type IntervalCalls,
  type ResourceSample,
  type UsageCounters,
} from "../vocabulary/resources.js";

/** One loaded module instance, as the sampler sees it. */
export interface SampledInstance {
  readonly id: string;
  readonly version: string;
  /** Which replica of `id@version` (0: the first, or the only one). */
  readonly replica: number;
  readonly isolation: "inline" | "worker" | "process";
  /** Its counters now (see {@link UsageCounters}); undefined while not loaded or not yet read. */
  usage(): UsageCounters | undefined;
  /** Calls it has served since it was made (only grows). */
  calls(): number;
}

interface Reading {
  at: number;
  usage: UsageCounters;
  calls: number;
}

/** What a round knows of the calls of each version (by `id@version`); undefined without anomaly detection. */
export type RoundCalls = ReadonlyMap<string, IntervalCalls> | undefined;

/** Counters that only grow while a module stays loaded: one going down means it was loaded afresh. */
const monotonic = [
  "cpuUs",
  "busyUs",
  "eluActiveMs",
  "eluIdleMs",
  "fsRead",
  "fsWrite",
  "netIn",
  "netOut",
] as const;

function reloaded(before: UsageCounters, now: UsageCounters): boolean {
  for (const field of monotonic) if ((now[field] ?? 0) < (before[field] ?? 0)) return true;
  return false;
}

/** The figures of two intervals as one: failures added, the higher p99 (a bound: the exact one is not kept). */
function merged(a: IntervalCalls | undefined, b: IntervalCalls): IntervalCalls {
  if (a === undefined) return b;
  const p99Ms = a.p99Ms === null ? b.p99Ms : b.p99Ms === null ? a.p99Ms : Math.max(a.p99Ms, b.p99Ms);
  return { failures: a.failures + b.failures, p99Ms };
}

const perSecond = (bytes: number, ms: number): number => (ms > 0 ? (Math.max(0, bytes) * 1000) / ms : 0);

/**
 * The sample of one interval between two readings of the same load. `carried` are the version's
 * call figures this sample carries (failures and p99, for every replica together): null on the
 * other replicas' samples, undefined without anomaly detection (failures and p99 null too).
 */
export function sampleOf(
  inst: SampledInstance,
  before: Reading,
  now: Reading,
  carried: IntervalCalls | null | undefined = undefined,
): ResourceSample {
  const a = before.usage;
  const b = now.usage;
  const ms = now.at - before.at;
  const cpuUs = b.cpuUs ?? b.busyUs;
  const cpuBefore = a.cpuUs ?? a.busyUs;
  const cpuPercent =
    cpuUs === undefined || cpuBefore === undefined || ms <= 0
      ? null
      : Math.max(0, cpuUs - cpuBefore) / (ms * 10);
  let elu: number | null = null;
  if (b.eluActiveMs !== undefined && b.eluIdleMs !== undefined) {
    const active = b.eluActiveMs - (a.eluActiveMs ?? 0);
    const total = active + b.eluIdleMs - (a.eluIdleMs ?? 0);
    elu = total > 0 ? Math.min(1, Math.max(0, active / total)) : 0;
  }
  const memoryBytes = inst.isolation === "process" ? (b.rss ?? b.heapUsed ?? null) : (b.heapUsed ?? null);
  return {
    id: inst.id,
    version: inst.version,
    ...(inst.replica === 0 ? {} : { replica: inst.replica }),
    isolation: inst.isolation,
    at: now.at,
    intervalMs: ms,
    cpuPercent,
    elu,
    memoryBytes,
    heapUsedBytes: b.heapUsed ?? null,
    rssBytes: inst.isolation === "process" ? (b.rss ?? null) : null,
    fsReadBps: perSecond(b.fsRead - a.fsRead, ms),
    fsWriteBps: perSecond(b.fsWrite - a.fsWrite, ms),
    netInBps: perSecond(b.netIn - a.netIn, ms),
    netOutBps: perSecond(b.netOut - a.netOut, ms),
    calls: Math.max(0, now.calls - before.calls),
    failures: carried?.failures ?? null,
    p99Ms: carried?.p99Ms ?? null,
    totals: {
      cpuSeconds: (cpuUs ?? 0) / 1e6,
      fsReadBytes: b.fsRead,
      fsWriteBytes: b.fsWrite,
      netInBytes: b.netIn,
      netOutBytes: b.netOut,
    },
  };
}

/**
 * Reads every loaded instance's counters every `everyMs` on the injected clock and turns two
 * readings of the same load into a {@link ResourceSample}: rates over the interval, gauges at its
 * end, totals since the load. The first reading of a load only sets where its first interval
 * starts. Listeners get each round of samples (the store, the limits, the report).
 */
export class ResourceSampler implements Disposable {
  private readonly readings = new Map<string, Reading>();
  private readonly latestSamples = new Map<string, ResourceSample>();
  /**
   * Call figures taken from `calls` and not yet carried by a sample, by `id@version`: a round in
   * which no instance of the version gave a sample (it crashed and was loaded afresh, or was just
   * loaded) keeps them for the next sample of that version instead of losing them.
   */
  private readonly uncarried = new Map<string, IntervalCalls>();
  private readonly sampled: EventSource<readonly ResourceSample[]>;
  private timer: Timer | undefined;
  private closed = false;

  constructor(
    private readonly deps: {
      clock: Clock;
      /** The instances to read, at each round. */
      instances: () => Iterable<SampledInstance>;
      /** The sampling interval, in ms. */
      everyMs: number;
      /** A listener threw (it does not stop the others). */
      onListenerError?: (err: unknown) => void;
      /**
       * What each version's calls did since the previous round (read once per round), for the
       * samples' `failures` and `p99Ms`; absent (or answering undefined): they are null.
       */
      calls?: () => RoundCalls;
    },
  ) {
    this.sampled = new EventSource(deps.onListenerError);
  }

  /** Subscribes to each round of samples (one per instance that has two readings); dispose to leave. */
  onSamples(listener: (samples: readonly ResourceSample[]) => void): Disposable {
    return this.sampled.subscribe(listener);
  }

  /** Starts sampling every `everyMs` (a background timer: it never keeps the process alive). */
  start(): void {
    if (this.closed || this.timer !== undefined) return;
    this.sampleNow();
    this.arm();
  }

  /** The latest sample of each instance still loaded, by `id@version[#replica]`. */
  latest(): ReadonlyMap<string, ResourceSample> {
    return this.latestSamples;
  }

  /** Reads every instance now; returns (and tells the listeners) the samples of this round. */
  sampleNow(): ResourceSample[] {
    const at = this.deps.clock.wallNow();
    const seen = new Set<string>();
    const versions = new Set<string>();
    const ready: Array<{ inst: SampledInstance; key: string; before: Reading; now: Reading }> = [];
    const calls = this.deps.calls?.();
    if (calls !== undefined)
      for (const [version, figures] of calls)
        this.uncarried.set(version, merged(this.uncarried.get(version), figures));
    for (const inst of this.deps.instances()) {
      versions.add(`${inst.id}@${inst.version}`);
      const usage = inst.usage();
      if (usage === undefined) continue;
      const key = sampleKey(inst);
      seen.add(key);
      const now = { at, usage, calls: inst.calls() };
      const before = this.readings.get(key);
      // A second read at the same instant keeps the interval's start.
      if (before !== undefined && at <= before.at && !reloaded(before.usage, usage)) continue;
      this.readings.set(key, now);
      if (before === undefined || reloaded(before.usage, usage)) continue;
      ready.push({ inst, key, before, now });
    }
    // Each version's figures ride on the sample of its lowest replica sampled this round.
    const carrier = new Map<string, number>();
    for (const { inst } of ready) {
      const version = `${inst.id}@${inst.version}`;
      carrier.set(version, Math.min(carrier.get(version) ?? inst.replica, inst.replica));
    }
    const samples: ResourceSample[] = [];
    for (const { inst, key, before, now } of ready) {
      const version = `${inst.id}@${inst.version}`;
      let carried: IntervalCalls | null | undefined = calls === undefined ? undefined : null;
      if (calls !== undefined && carrier.get(version) === inst.replica) {
        carried = this.uncarried.get(version) ?? { failures: 0, p99Ms: null };
        this.uncarried.delete(version);
      }
      const sample = sampleOf(inst, before, now, carried);
      this.latestSamples.set(key, sample);
      samples.push(sample);
    }
    for (const key of this.readings.keys()) {
      if (seen.has(key)) continue;
      this.readings.delete(key);
      this.latestSamples.delete(key);
    }
    for (const version of this.uncarried.keys())
      if (!versions.has(version) && calls?.has(version) !== true) this.uncarried.delete(version);
    if (samples.length > 0) this.sampled.emit(samples);
    return samples;
  }

  /** Stops sampling; the latest samples stay readable. */
  dispose(): void {
    this.closed = true;
    this.timer?.dispose();
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = this.deps.clock.setTimeout(
      () => {
        this.sampleNow();
        if (!this.closed) this.arm();
      },
      this.deps.everyMs,
      { background: true },
    );
  }
}
