import type { Clock, Timer } from "../common/Clock.js";
import { messageOf } from "../errors/ChipsetError.js";
import type { ProbesManifest } from "../vocabulary/manifest.js";
import { probeSettings, type ProbeName, type ProbeSettings } from "./probeSettings.js";

/** The outcome of one probe: passed or failed, how many in a row, and why it failed. */
export interface ProbeResult {
  probe: ProbeName;
  ok: boolean;
  /** Results in a row equal to this one, this one included. */
  consecutive: number;
  /** Why it failed (absent when it passed). */
  error?: Error;
}

/** What a probe runner asks of the instance it watches (the runtime's probes fit). */
export interface ProbeTarget {
  /**
   * Runs one check; resolves when it passed, rejects with why when it failed. `signal` fires
   * when the probe gave up on it (its timeout, or the runner stopped).
   */
  check(settings: ProbeSettings, signal: AbortSignal): Promise<void>;
  /** False while the instance cannot be probed (paused): a probe due then is skipped, not counted. */
  probeable(): boolean;
  /** Every probe's outcome. */
  reported(result: ProbeResult): void;
  /**
   * The liveness probe failed `failureThreshold` times in a row, or the startup probe did not
   * pass in time: the instance must be ended (and restarted by its supervisor). The runner stops.
   */
  failed(probe: "liveness" | "startup", failures: number, error: Error): void;
  /** The readiness probe took the instance out of service (`ready` false) or brought it back. */
  readiness(ready: boolean, consecutive: number, error?: Error): void;
}

/** Where the runner stands, for queries. */
export interface ProbeStatus {
  /** `pending` while a startup probe has not passed; `passed` once it has, or when there is none. */
  startup: "pending" | "passed";
  /** False while the readiness probe holds the instance out of service. */
  ready: boolean;
  /** Failures in a row of each probe that runs (0 after a pass). */
  failures: Partial<Record<ProbeName, number>>;
}

/** One probe's schedule and counts. */
interface Track {
  readonly name: ProbeName;
  readonly settings: ProbeSettings;
  failures: number;
  successes: number;
  timer: Timer | undefined;
  /** Gives up on the check in flight. */
  inFlight: AbortController | undefined;
}

/** What a check settles with when it did not answer in time. */
class ProbeTimeout extends Error {}

/**
 * Runs the liveness, readiness and startup probes of one running instance with Kubernetes'
 * semantics, on the injected clock (background timers: probes never hold the process open).
 * Each probe runs `initialDelayMs` after it begins, then `periodMs` from one probe's start to the
 * next (never two of one probe at once), each check bounded by `timeoutMs`. A startup probe holds
 * the other two back until it passes; `failureThreshold` failures in a row of it or of liveness
 * end the instance ({@link ProbeTarget.failed}); of readiness, take it out of service until
 * `successThreshold` passes in a row. The instance starts in service.
 */
export class ProbeRunner {
  private readonly tracks = new Map<ProbeName, Track>();
  private startupPassed: boolean;
  private ready = true;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly probes: ProbesManifest,
    private readonly target: ProbeTarget,
  ) {
    this.startupPassed = probes.startup === undefined;
  }

  /** Begins probing: the startup probe if there is one, else liveness and readiness. */
  start(): void {
    if (this.probes.startup !== undefined) this.begin("startup");
    else this.beginOthers();
  }

  /** Stops every probe and gives up on the checks in flight (idempotent). */
  stop(): void {
    this.stopped = true;
    for (const track of this.tracks.values()) {
      track.timer?.dispose();
      track.timer = undefined;
      track.inFlight?.abort(new Error("the probe runner stopped"));
    }
  }

  /** Where the probes stand now. */
  status(): ProbeStatus {
    const failures: Partial<Record<ProbeName, number>> = {};
    for (const [name, track] of this.tracks) failures[name] = track.failures;
    return { startup: this.startupPassed ? "passed" : "pending", ready: this.ready, failures };
  }

  private beginOthers(): void {
    if (this.probes.liveness !== undefined) this.begin("liveness");
    if (this.probes.readiness !== undefined) this.begin("readiness");
  }

  private begin(name: ProbeName): void {
    const settings = probeSettings(this.probes[name]!);
    const track: Track = { name, settings, failures: 0, successes: 0, timer: undefined, inFlight: undefined };
    this.tracks.set(name, track);
    this.schedule(track, settings.initialDelayMs);
  }

  private schedule(track: Track, ms: number): void {
    if (this.stopped) return;
    track.timer = this.clock.setTimeout(() => void this.probe(track), ms, { background: true });
  }

  private async probe(track: Track): Promise<void> {
    track.timer = undefined;
    const { settings } = track;
    const began = this.clock.now();
    if (this.target.probeable()) {
      const error = await this.checkOnce(track);
      if (this.stopped) return;
      if (this.settle(track, error)) return;
    }
    const elapsed = this.clock.now() - began;
    this.schedule(track, Math.max(0, settings.periodMs - elapsed));
  }

  /** Runs one check within `timeoutMs`; resolves with why it failed, or undefined when it passed. */
  private checkOnce(track: Track): Promise<Error | undefined> {
    const { timeoutMs } = track.settings;
    const controller = (track.inFlight = new AbortController());
    return new Promise<Error | undefined>((resolve) => {
      let settled = false;
      const done = (error: Error | undefined) => {
        if (settled) return;
        settled = true;
        timer.dispose();
        if (track.inFlight === controller) track.inFlight = undefined;
        resolve(error);
      };
      // Given up on (its timeout, or the runner stopped): the check fails with the reason, and its signal tells the module.
      const timer = this.clock.setTimeout(
        () => controller.abort(new ProbeTimeout(`did not answer within ${timeoutMs} ms (timeoutMs)`)),
        timeoutMs,
        { background: true },
      );
      controller.signal.addEventListener("abort", () => done(controller.signal.reason as Error), {
        once: true,
      });
      let work: Promise<void>;
      try {
        work = this.target.check(track.settings, controller.signal);
      } catch (err) {
        work = Promise.reject(err instanceof Error ? err : new Error(messageOf(err)));
      }
      work.then(
        () => done(undefined),
        (err: unknown) => done(err instanceof Error ? err : new Error(messageOf(err))),
      );
    });
  }

  /** Counts the outcome and acts on it; true when this probe is over (startup passed, or the runner stopped). */
  private settle(track: Track, error: Error | undefined): boolean {
    const { name, settings } = track;
    if (error === undefined) {
      track.failures = 0;
      track.successes++;
      this.target.reported({ probe: name, ok: true, consecutive: track.successes });
      if (name === "startup") {
        this.startupPassed = true;
        this.tracks.delete("startup");
        this.beginOthers();
        return true;
      }
      if (name === "readiness" && !this.ready && track.successes >= settings.successThreshold) {
        this.ready = true;
        this.target.readiness(true, track.successes);
      }
      return false;
    }
    track.successes = 0;
    track.failures++;
    this.target.reported({ probe: name, ok: false, consecutive: track.failures, error });
    if (track.failures < settings.failureThreshold) return false;
    if (name === "readiness") {
      if (this.ready) {
        this.ready = false;
        this.target.readiness(false, track.failures, error);
      }
      return false;
    }
    this.stop();
    this.target.failed(name, track.failures, error);
    return true;
  }
}
