import { Histogram } from "./histogram.mjs";

/** What one label of calls (`work`, `crash`, `recovery`) came to. */
export class CallStats {
  ok = 0;
  /** Failures by error code; an error without a code is keyed `(no code: <name>)`. */
  failed = new Map();
  /** Calls that had not settled `graceMs` after their signal fired. */
  hung = 0;
  okLatency = new Histogram();
  failedLatency = new Histogram();

  get failures() {
    let n = 0;
    for (const count of this.failed.values()) n += count;
    return n;
  }
}

/**
 * Runs calls and records how each ended. Every call gets an AbortSignal that fires after
 * `timeoutMs`, so a call the runtime keeps waiting must still end with `CHIP_ERR_ABORTED`; one
 * still unsettled `graceMs` later is counted as hung, and stops being waited for, so that
 * `settled()` ends even when the runtime loses a call.
 */
export class CallLog {
  /** Per label. */
  stats = new Map();
  inFlight = new Set();

  constructor({ timeoutMs, graceMs }) {
    this.timeoutMs = timeoutMs;
    this.graceMs = graceMs;
  }

  /**
   * Runs `call(signal)` under `label`; resolves (never rejects) with `{ ok: true, value }` or
   * `{ ok: false, code }`, or `{ ok: false, hung: true }`.
   */
  run(label, call) {
    const stats = this.statsOf(label);
    const started = performance.now();
    let watchdog;
    const hung = new Promise((resolve) => {
      watchdog = setTimeout(() => resolve({ ok: false, hung: true }), this.timeoutMs + this.graceMs);
    });
    const settled = Promise.resolve()
      .then(() => call(globalThis.AbortSignal.timeout(this.timeoutMs)))
      .then(
        (value) => ({ ok: true, value }),
        (error) => ({ ok: false, code: codeOf(error) }),
      );
    const outcome = Promise.race([settled, hung]).then((result) => {
      clearTimeout(watchdog);
      const ms = performance.now() - started;
      if (result.ok) {
        stats.ok++;
        stats.okLatency.record(ms);
      } else if (result.hung) {
        stats.hung++;
      } else {
        stats.failed.set(result.code, (stats.failed.get(result.code) ?? 0) + 1);
        stats.failedLatency.record(ms);
      }
      this.inFlight.delete(outcome);
      return result;
    });
    this.inFlight.add(outcome);
    return outcome;
  }

  /** Resolves once every call started so far has settled or been declared hung. */
  async settled() {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  statsOf(label) {
    let stats = this.stats.get(label);
    if (!stats) this.stats.set(label, (stats = new CallStats()));
    return stats;
  }
}

/** The stable code of a Chipset error, or a key that names what was thrown instead. */
function codeOf(error) {
  if (typeof error?.code === "string") return error.code;
  return `(no code: ${error?.name ?? typeof error})`;
}
