import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";

/** The steps of an update, in order. */
export type UpdateStep =
  "resolve" | "fetch" | "install" | "start" | "verify" | "switch" | "grace" | "retire" | "rollback";

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
  /** Cancels the update before the switch: the old version keeps serving. */
  signal?: AbortSignal;
  /** A registry URL to fetch from instead of the one the config's `sources` routes the module to. */
  registry?: string;
  /** Called as each step begins (progress for a user watching). */
  onStep?: (step: UpdateStep) => void;
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
