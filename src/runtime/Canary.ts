import type { Clock } from "../common/Clock.js";
import { DisposableStore, toDisposable, type Disposable } from "../common/Disposable.js";
import type { Emitter } from "../common/Emitter.js";
import { abortError } from "../common/abort.js";
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Instance } from "../instances/Instance.js";
import type { CallRun } from "../policies/CallRun.js";
import { satisfies } from "../resolver/fastSemver.js";
import type { CallSplit, SplitPort } from "./CallSplit.js";
import { CanaryTally } from "./CanaryTally.js";
import {
  earlyFailure,
  judgeCanary,
  CANARY_MIN_CALLS,
  type CanarySettings,
  type CanaryVerdict,
} from "./canaryVerdict.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import type { CanaryReport, CanarySample } from "./updateReport.js";

/** What a canary needs from the runtime. */
export interface CanaryDeps {
  clock: Clock;
  events: Emitter<RuntimeEvents>;
  /** Lets the canary choose where the calls to the old version go (`ModuleCalls.split`), until disposed. */
  split(split: CallSplit): Disposable;
  /** Has the old version's dependents call through their range while the canary runs (`InstanceFactory.canary`; `next` undefined ends it). */
  route(old: Instance, next: Instance | undefined): void;
}

/** How a canary ended: its verdict, and the error an update that does not go on rejects with. */
export interface CanaryOutcome {
  report: CanaryReport;
  /** Undefined when it passed; else why the update stops here (`CHIP_ERR_ABORTED` when cancelled). */
  error: ChipsetError | undefined;
}

/** An answer of the new version, or the canary giving up on it. */
type Answer = { value: unknown } | { error: unknown } | typeof GIVEN_UP;
const GIVEN_UP = Symbol("the canary gave up on the call");

/**
 * The canary of an update: for its window, `percent`% of the calls that would reach the old
 * version (`from`) go to the new one (`to`), chosen per call by a counter (exactly one call in
 * 100 / percent, so a test can count on it); both versions' calls, errors and durations (on the
 * runtime's clock) are tallied and judged at the end ({@link judgeCanary}), earlier when the new
 * version's calls so far already fail it ({@link earlyFailure}), or when it crashes.
 *
 * A call that fails on the new version is sent once more to the old one (so its caller does not
 * see the canary's failure) and counts as the new version's error: a canary call may run on both
 * versions. When the canary ends without a pass, the new version's calls still in flight are sent
 * to the old one at once; after a pass they finish where they are (it is about to serve).
 */
export class Canary implements CallSplit {
  private readonly fromTally = new CanaryTally();
  private readonly toTally: CanaryTally;
  /** Calls offered to the canary so far (the split counter). */
  private offered = 0;
  private verdict: CanaryVerdict | undefined;
  /** What ended it early, if anything did: the new version's crash, or the signal's abort. */
  private cause: ChipsetError | undefined;
  private aborted = false;
  private ended: (() => void) | undefined;
  /** The calls in flight on the new version: each resolves its call with {@link GIVEN_UP}. */
  private readonly inFlight = new Set<(answer: Answer) => void>();

  constructor(
    readonly from: Instance,
    private readonly to: Instance,
    private readonly settings: CanarySettings,
    private readonly deps: CanaryDeps,
  ) {
    this.toTally = new CanaryTally(settings.maxP99Ms);
  }

  /**
   * Runs the canary to its verdict: resolves with the report, and the error to stop the update
   * with unless it passed. `signal` cancels it (the verdict is then inconclusive).
   */
  async run(signal?: AbortSignal): Promise<CanaryOutcome> {
    const { clock, events } = this.deps;
    const { from, to, settings } = this;
    const started = clock.now();
    const store = new DisposableStore();
    const ended = new Promise<void>((resolve) => (this.ended = resolve));
    store.add(
      clock.setTimeout(
        () => this.end(judgeCanary(settings, this.fromTally, this.toTally)),
        settings.durationMs,
      ),
    );
    store.add(
      events.on("module.crashed", (e) => {
        if (e.id === to.id && e.version === to.version)
          this.end(`failed: ${to.key} crashed during the canary (${messageOf(e.error)})`, e.error);
      }),
    );
    if (signal !== undefined) {
      const onAbort = () => {
        if (this.verdict !== undefined) return;
        this.aborted = true;
        this.end("inconclusive", abortError(signal, `the canary of ${to.key}`, to.key));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      store.add(toDisposable(() => signal.removeEventListener("abort", onAbort)));
      if (signal.aborted) onAbort();
    }
    if (this.verdict === undefined) {
      this.deps.route(from, to);
      store.add(toDisposable(() => this.deps.route(from, undefined)));
      store.add(this.deps.split(this));
    }
    try {
      await ended;
    } finally {
      store.dispose();
    }
    const report: CanaryReport = {
      percent: settings.percent,
      durationMs: settings.durationMs,
      ranMs: clock.now() - started,
      from: sample(from.version, this.fromTally),
      to: sample(to.version, this.toTally),
      verdict: this.verdict!,
    };
    return { report, error: this.aborted ? this.cause : this.refusal(report) };
  }

  takes(range: string | undefined): boolean {
    const { version } = this.to;
    return range === undefined || range === version || satisfies(version, range);
  }

  attempt(run: CallRun, port: SplitPort): unknown {
    return this.pick() ? this.onNew(run, port) : this.onOld(port);
  }

  /** Whether the next call goes to the new version: exactly `percent` in 100 of the calls offered, while it can take them. */
  private pick(): boolean {
    if (this.verdict !== undefined) return false;
    const n = ++this.offered;
    const { percent } = this.settings;
    if (Math.floor((n * percent) / 100) === Math.floor(((n - 1) * percent) / 100)) return false;
    return this.to.takesCalls;
  }

  private onOld(port: SplitPort): Promise<unknown> {
    const { clock } = this.deps;
    const t0 = clock.now();
    return port.enter(this.from, true).then(
      (value) => {
        if (this.verdict === undefined) this.fromTally.record(clock.now() - t0, false);
        return value;
      },
      (err: unknown) => {
        if (this.verdict === undefined) this.fromTally.record(clock.now() - t0, true, err);
        throw err;
      },
    );
  }

  private async onNew(run: CallRun, port: SplitPort): Promise<unknown> {
    const { clock } = this.deps;
    const attempt = run.attempt;
    const t0 = clock.now();
    const answer = await new Promise<Answer>((resolve) => {
      const settle = (a: Answer): void => {
        this.inFlight.delete(settle);
        resolve(a);
      };
      this.inFlight.add(settle);
      port.enter(this.to, false).then(
        (value) => settle({ value }),
        (error: unknown) => settle({ error }),
      );
    });
    if (answer !== GIVEN_UP) {
      const failed = "error" in answer;
      if (this.verdict === undefined) {
        this.toTally.record(clock.now() - t0, failed, failed ? answer.error : undefined);
        const why = earlyFailure(this.settings, this.fromTally, this.toTally, this.toTally.over);
        if (why !== undefined) this.end(`failed: ${why}`);
      }
      if (!failed) return answer.value;
    }
    // It failed on the new version, or the canary gave up on it: once more, on the old version,
    // unless the call itself was given up meanwhile (timed out, cancelled).
    if (!run.isCurrent(attempt)) return undefined;
    return port.resend();
  }

  /** Ends the canary with `verdict` (once); without a pass, the new version's calls in flight go to the old one. */
  private end(verdict: CanaryVerdict, cause?: ChipsetError): void {
    if (this.verdict !== undefined) return;
    this.verdict = verdict;
    this.cause = cause;
    if (verdict !== "passed") {
      const waiting = [...this.inFlight];
      this.inFlight.clear();
      for (const giveUp of waiting) giveUp(GIVEN_UP);
    }
    this.ended?.();
  }

  /** Why the update stops at its canary (undefined: it passed). */
  private refusal(report: CanaryReport): ChipsetError | undefined {
    const { verdict } = report;
    if (verdict === "passed") return undefined;
    const { key } = this.to;
    const message =
      verdict === "inconclusive"
        ? `the canary of ${key} was inconclusive: it answered ${report.to.calls} calls in ${Math.round(report.ranMs)} ms ` +
          `(${CANARY_MIN_CALLS} are needed to judge it${report.to.calls >= CANARY_MIN_CALLS ? ", and as many of the old version's to compare its p99 with; give maxP99Ms" : ""}); ` +
          "a canary without enough calls is never a pass: run it while the module has traffic, longer (durationMs) or on more of it (percent)"
        : `the canary of ${key} ${verdict}`;
    const cause = this.cause ?? this.toTally.firstError;
    return new ChipsetError(ErrorCodes.UPDATE_FAILED, message, {
      module: key,
      ...(cause === undefined ? {} : { cause }),
      details: { canary: report },
    });
  }
}

function sample(version: string, tally: CanaryTally): CanarySample {
  return { version, calls: tally.calls, errors: tally.errors, p99Ms: tally.p99Ms };
}
