import type { Clock } from "../common/Clock.js";
import { toDisposable, type Disposable } from "../common/Disposable.js";
import type { BreakerSettings } from "./CallsConfig.js";
import { SlidingWindow } from "./SlidingWindow.js";

/** The states of a breaker. `isolated` is open by hand, until released. */
export type BreakerStateName = "closed" | "open" | "half-open" | "isolated";

/** A state and the data it carries. */
export type BreakerState =
  | { name: "closed" }
  | { name: "open"; since: number; until: number; reason: OpenReason }
  | { name: "half-open"; probes: number; successes: number }
  | { name: "isolated"; since: number };

/** Why a breaker opened. */
export type OpenReason = "consecutive-failures" | "failure-rate" | "probe-failed";

/** One change of state, as the breaker reports it. */
export interface BreakerTransition {
  from: BreakerStateName;
  to: BreakerStateName;
  reason?: OpenReason;
  /** Consecutive failures when it opened. */
  failures: number;
  /** Failure rate over the window when it opened (0..1). */
  rate: number;
}

/**
 * What {@link CircuitBreaker.pass} answers: `Call` (closed: the call goes through), `Probe`
 * (half-open: it goes through as one of the probes), `Refuse` (open, isolated, or half-open
 * with every probe in flight).
 */
export const Pass = { Call: 0, Probe: 1, Refuse: 2 } as const;
/** One of {@link Pass}. */
export type Pass = (typeof Pass)[keyof typeof Pass];

/**
 * A circuit breaker (closed -> open -> half-open -> closed), counting consecutive failures and
 * the failure rate over a sliding window. While open it refuses calls without touching the
 * module; after `openMs` the next call moves it to half-open, where at most `halfOpenProbes`
 * calls go through: that many successes close it, one failure opens it again. `isolate()` holds
 * it open by hand. Pure bookkeeping on an injected clock: no timers.
 */
export class CircuitBreaker {
  private current: BreakerState = { name: "closed" };
  private consecutive = 0;
  /**
   * Probes let through in an earlier half-open spell and not back yet. A `Pass` does not say
   * which spell it came from, so a probe that comes back is counted against these first: a
   * straggler must not free a slot of the current spell (that would let one probe too many through).
   */
  private strays = 0;
  private window: SlidingWindow;

  /** @param onChange told of every transition, synchronously. */
  constructor(
    private config: BreakerSettings,
    private readonly clock: Clock,
    private readonly onChange: (t: BreakerTransition) => void = () => {},
  ) {
    this.window = new SlidingWindow(config.windowMs);
  }

  /** The settings in force. */
  get settings(): BreakerSettings {
    return this.config;
  }

  /**
   * New settings from now on; the state stays (an open breaker stays open until its `until`).
   * A different `windowMs` starts an empty window.
   */
  reconfigure(settings: BreakerSettings): void {
    if (settings.windowMs !== this.config.windowMs) this.window = new SlidingWindow(settings.windowMs);
    this.config = settings;
  }

  /** The current state (an `open` breaker past `openMs` reads as open until a call moves it). */
  get state(): BreakerState {
    return this.current;
  }

  /** Asks to let one call through; a `Probe` or `Call` must be followed by success, failure or release. */
  pass(): Pass {
    const s = this.current;
    if (s.name === "closed") return Pass.Call;
    if (s.name === "open") {
      if (this.clock.now() < s.until) return Pass.Refuse;
      this.move({ name: "half-open", probes: 0, successes: 0 });
      return this.pass();
    }
    if (s.name === "half-open" && s.probes + s.successes < this.config.halfOpenProbes) {
      s.probes++;
      return Pass.Probe;
    }
    return Pass.Refuse;
  }

  /** The call let through by `pass` succeeded (at `now`, the clock's reading: default read now). */
  success(pass: Pass, now?: number): void {
    if (pass === Pass.Refuse) return; // nothing was let through
    if (pass === Pass.Probe) {
      const s = this.current;
      if (!this.probeBack() || s.name !== "half-open") return; // a straggler, or isolated meanwhile
      if (++s.successes >= this.config.halfOpenProbes) this.close();
      return;
    }
    this.consecutive = 0;
    if (this.current.name === "closed") this.window.add(now ?? this.clock.now(), false);
  }

  /** The call let through by `pass` failed in a way that counts against the module (at `now`: default read now). */
  failure(pass: Pass, at?: number): void {
    if (pass === Pass.Refuse) return;
    const now = at ?? this.clock.now();
    if (pass === Pass.Probe) {
      this.probeBack();
      if (this.current.name === "half-open") this.open(now, "probe-failed");
      return;
    }
    if (this.current.name !== "closed") return;
    this.consecutive++;
    this.window.add(now, true);
    const { consecutiveFailures, failureRate, minCalls } = this.settings;
    if (consecutiveFailures > 0 && this.consecutive >= consecutiveFailures) {
      this.open(now, "consecutive-failures");
    } else if (
      failureRate > 0 &&
      this.window.calls(now) >= minCalls &&
      this.window.rate(now) >= failureRate
    ) {
      this.open(now, "failure-rate");
    }
  }

  /** The call let through by `pass` never ran (refused further in, or cancelled first): frees its probe. */
  release(pass: Pass): void {
    if (pass === Pass.Probe) this.probeBack();
  }

  /** Holds the breaker open until the result is disposed; then it closes with a clean slate. */
  isolate(): Disposable {
    this.move({ name: "isolated", since: this.clock.now() });
    return toDisposable(() => {
      if (this.current.name === "isolated") this.close();
    });
  }

  /** A probe came back: true when it was one of the current half-open spell's (its slot is freed). */
  private probeBack(): boolean {
    if (this.strays > 0) {
      this.strays--;
      return false;
    }
    const s = this.current;
    if (s.name !== "half-open") return false;
    s.probes--;
    return true;
  }

  private open(now: number, reason: OpenReason): void {
    this.move({ name: "open", since: now, until: now + this.config.openMs, reason }, reason);
  }

  private close(): void {
    this.consecutive = 0;
    this.window.clear();
    this.move({ name: "closed" });
  }

  private move(next: BreakerState, reason?: OpenReason): void {
    const from = this.current.name;
    const now = this.clock.now();
    const transition: BreakerTransition = {
      from,
      to: next.name,
      failures: this.consecutive,
      rate: this.window.rate(now),
      ...(reason === undefined ? {} : { reason }),
    };
    if (this.current.name === "half-open") this.strays += this.current.probes;
    this.current = next;
    if (next.name !== "closed") this.consecutive = 0;
    this.onChange(transition);
  }
}
