import { seededRandom } from "./faults.js";

/** The three phases of an experiment. */
export type Phase = "before" | "during" | "after";

/** One call of the load, as recorded (times in ms from the experiment's start). */
export interface RecordedCall {
  /** The phase the call began in. */
  phase: Phase;
  call: string;
  startMs: number;
  durationMs: number;
  ok: boolean;
  answeredBy?: string;
  code?: string;
}

/** Calls by outcome. */
export interface CallTally {
  total: number;
  /** Answered by the module. */
  ok: number;
  /** Answered by a fallback. */
  fallback: number;
  failed: number;
  /** Failed calls by error code. */
  byCode: Record<string, number>;
}

/** Calls kept per phase for latency percentiles: beyond it, a uniform sample of them. */
const SAMPLE = 50_000;
/** Calls in a row answered by their module after the faults that count as recovered. */
const RECOVERED_RUN = 10;

interface Counts {
  total: number;
  ok: number;
  fallback: number;
  byCode: Map<string, number>;
}

/**
 * The load's calls of an experiment, in bounded memory: exact counts by phase, call and error
 * code; for latency, every call of a phase up to 50,000, then a uniform sample of that size
 * (reservoir sampling, seeded); and the time to recover, worked out as calls come in. A long
 * closed-loop experiment makes millions of calls; keeping each one would take gigabytes.
 */
export class CallLog {
  private readonly counts = new Map<string, Counts>();
  private readonly samples: Record<Phase, RecordedCall[]> = { before: [], during: [], after: [] };
  private readonly seen: Record<Phase, number> = { before: 0, during: 0, after: 0 };
  private readonly random: () => number;
  private faultsEnd = Infinity;
  private run = 0;
  private runStart = 0;
  /** From the end of the faults to the first of ten calls in a row answered by their module, in ms. */
  recoveryMs: number | null = null;

  /** @param seed of the sampling, so a repeated run keeps the same calls */
  constructor(seed: number) {
    this.random = seededRandom(seed ^ 0x5eed);
  }

  /** When the last fault ends (ms from the start): calls that begin after it count towards recovery. */
  faultsEndAt(ms: number): void {
    this.faultsEnd = ms;
  }

  record(call: RecordedCall): void {
    const key = `${call.phase}\0${call.call}`;
    let c = this.counts.get(key);
    if (c === undefined) this.counts.set(key, (c = { total: 0, ok: 0, fallback: 0, byCode: new Map() }));
    c.total++;
    if (call.ok && call.answeredBy === undefined) c.ok++;
    else if (call.ok) c.fallback++;
    else c.byCode.set(call.code ?? "UNKNOWN", (c.byCode.get(call.code ?? "UNKNOWN") ?? 0) + 1);
    this.sample(call);
    this.recovery(call);
  }

  /** Calls of `phase` by outcome (of one load's `call`, or of every load). */
  tally(phase: Phase, call?: string): CallTally {
    // By code, as the call failed with it: no prototype for a module's own code to hit.
    const byCode = Object.create(null) as Record<string, number>;
    const out: CallTally = { total: 0, ok: 0, fallback: 0, failed: 0, byCode };
    for (const [key, c] of this.counts) {
      const [p, name] = key.split("\0") as [Phase, string];
      if (p !== phase || (call !== undefined && name !== call)) continue;
      out.total += c.total;
      out.ok += c.ok;
      out.fallback += c.fallback;
      for (const [code, n] of c.byCode) {
        out.byCode[code] = (out.byCode[code] ?? 0) + n;
        out.failed += n;
      }
    }
    return out;
  }

  /** The calls kept for `phase`'s latency (all of them, up to 50,000). */
  kept(phase: Phase): readonly RecordedCall[] {
    return this.samples[phase];
  }

  /** True when `phase` had more calls than were kept (its percentiles come from a sample). */
  sampled(phase: Phase): boolean {
    return this.seen[phase] > SAMPLE;
  }

  private sample(call: RecordedCall): void {
    const n = ++this.seen[call.phase];
    const kept = this.samples[call.phase];
    if (kept.length < SAMPLE) kept.push(call);
    else {
      const slot = Math.floor(this.random() * n);
      if (slot < SAMPLE) kept[slot] = call;
    }
  }

  /** Recovery, in the order calls finish (close to the order they began in). */
  private recovery(call: RecordedCall): void {
    if (this.recoveryMs !== null || call.startMs < this.faultsEnd) return;
    if (!(call.ok && call.answeredBy === undefined)) {
      this.run = 0;
      return;
    }
    this.runStart = this.run++ === 0 ? call.startMs : Math.min(this.runStart, call.startMs);
    if (this.run >= RECOVERED_RUN) this.recoveryMs = Math.max(0, this.runStart - this.faultsEnd);
  }
}
