import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";

/** The steps of an update, in order. */
export type UpdateStep =
  | "resolve"
  | "fetch"
  | "install"
  | "start"
  | "verify"
  | "canary"
  | "switch"
  | "grace"
  | "retire"
  | "rollback";

/** How the new version takes over: all at once after its checks, or after a canary on a share of the calls. */
export type UpdateStrategy = "blue-green" | "canary";

/**
 * The canary of an update (`strategy: "canary"`): for `durationMs`, `percent`% of the calls to the
 * module go to the new version, then its error rate and p99 are judged against these bounds and
 * against the old version's in the same window. Every field may be omitted.
 */
export interface CanaryOptions {
  /** The share of calls sent to the new version, in % (more than 0, at most 100). Default 10. */
  percent?: number;
  /** How long the canary lasts, in ms. Default 60 000. */
  durationMs?: number;
  /** The highest error rate of the new version that passes (0 to 1), when it is also above the old version's. Default 0.01. */
  maxErrorRate?: number;
  /**
   * The highest p99 latency of the new version's calls that passes, in ms. Default: twice the old
   * version's p99 in the same window plus 100 ms (a judgement that needs 20 calls of the old
   * version too: give `maxP99Ms` when the old version takes fewer, as with `percent: 100`).
   */
  maxP99Ms?: number;
}

/** How to update a module (`runtime.update(id, options)`). */
export interface UpdateOptions {
  /** A module directory or an `npm pack` tarball (`.tgz`) to take the new version from; absent: an installed version, else the config's registries (`sources`). */
  from?: string;
  /** The version or range wanted (default: the highest there is, from the running version up). */
  version?: string;
  /** An SRI string (`sha512-...`) the package must match; a mismatch is `CHIP_ERR_INTEGRITY_MISMATCH` and nothing is installed. */
  integrity?: string;
  /** How long in-flight calls of the old version may take to finish at the switch, in ms. Default 5 000. */
  drainTimeoutMs?: number;
  /** How long after the switch a crash or an anomaly of the new version rolls it back, in ms (0: no watch). Default 10 000. */
  graceMs?: number;
  /** `"blue-green"` (default): all calls move at the switch; `"canary"`: a share of them first (see {@link CanaryOptions}). */
  strategy?: UpdateStrategy;
  /** The canary's settings (only with `strategy: "canary"`). */
  canary?: CanaryOptions;
  /** Cancels the update before the switch (a canary included): the old version keeps serving. */
  signal?: AbortSignal;
  /** A registry URL to fetch from instead of the one the config's `sources` routes the module to. */
  registry?: string;
  /** Called as each step begins (progress for a user watching). */
  onStep?: (step: UpdateStep) => void;
}

/** What one version did during a canary. */
export interface CanarySample {
  version: string;
  /** Calls it answered (for the new version, those that failed and were re-sent to the old one included). */
  calls: number;
  /** Calls that failed on it. */
  errors: number;
  /** The 99th percentile of its calls' durations, in ms (null: it answered none). */
  p99Ms: number | null;
}

/** The canary step of an update: each version's calls in the window, and what was concluded. */
export interface CanaryReport {
  /** The share of calls sent to the new version, in %, and the window asked for, in ms. */
  percent: number;
  durationMs: number;
  /** How long the canary ran, in ms (less than `durationMs` when it failed early, crashed or was cancelled). */
  ranMs: number;
  from: CanarySample;
  to: CanarySample;
  /**
   * `passed`: the switch goes on; `failed: <why>`: over a bound, or crashed; `inconclusive`: too
   * few calls to judge (or cancelled). Only `passed` goes on to the switch.
   */
  verdict: "passed" | "inconclusive" | `failed: ${string}`;
}

/** What an update did (`runtime.update` resolves with it; `CHIP_ERR_UPDATE_FAILED` carries it as `details.report`). */
export interface UpdateReport {
  id: string;
  /** The version that served before (null: none was loaded). */
  from: string | null;
  /** The version updated to (null: it failed before one was known). */
  to: string | null;
  /**
   * `completed`: the new version serves and the old one is retired; `installed`: the module was
   * not loaded, the new version is installed for its next load; `unchanged`: it already ran that
   * version; `rolled-back`: the new version was taken back; `failed`: nothing changed.
   */
  outcome: "completed" | "installed" | "unchanged" | "rolled-back" | "failed";
  /** Each step done, with its duration in ms; the failed one last, with its error code. */
  steps: Array<{ step: UpdateStep; ms: number; error?: string }>;
  /** Where the new version came from (a path or URL), and its integrity (SRI). */
  source: { kind: string; location: string } | null;
  integrity: string | null;
  /** Whether the package's signature was checked against a trusted key (and which), when one was fetched. */
  signature: { verified: boolean; keyid?: string } | null;
  /** Whether the old version's state was handed to the new one (`exportState` / `importState`). */
  stateMigrated: boolean;
  /** How long calls waited at the old version's gate during the switch, in ms. */
  gateMs: number;
  /** The canary, when the update ran one (`strategy: "canary"`, reached its canary step). */
  canary: CanaryReport | null;
  durationMs: number;
}

/** An empty report for `id` updating from `from`. */
export function startReport(id: string, from: string | null): UpdateReport {
  return {
    id,
    from,
    to: null,
    outcome: "failed",
    steps: [],
    source: null,
    integrity: null,
    signature: null,
    stateMigrated: false,
    gateMs: 0,
    canary: null,
    durationMs: 0,
  };
}

/**
 * `CHIP_ERR_UPDATE_FAILED` for `report`, with what failed as `cause`. An integrity mismatch (the
 * bytes are not those published, or not those the caller named) is thrown as itself, with the
 * report attached: one code to catch for "these are not the bytes they should be", whatever the
 * operation.
 */
export function updateFailed(report: UpdateReport, step: UpdateStep, cause: unknown): ChipsetError {
  const code = cause instanceof ChipsetError ? cause.code : undefined;
  if (cause instanceof ChipsetError && code === ErrorCodes.INTEGRITY_MISMATCH)
    return cause.withDetails({ report });
  const what = (cause instanceof Error ? cause.message : String(cause)).replace(/\.+$/, "");
  const rolledBack = report.outcome === "rolled-back";
  const to = report.to === null ? "a new version" : report.to;
  return new ChipsetError(
    ErrorCodes.UPDATE_FAILED,
    `The update of ${report.id}${report.from === null ? "" : ` from ${report.from}`} to ${to} ` +
      `${rolledBack ? "was rolled back" : "did not happen"} at its ${step} step: ${what}. ` +
      `${report.from === null ? "Nothing changed" : `${report.id}@${report.from} serves as before`}` +
      `${code === undefined ? "" : ` (cause: ${code})`}.`,
    { module: report.id, cause, details: { step, report, ...(code === undefined ? {} : { code }) } },
  );
}
