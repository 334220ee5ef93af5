import { updateOptionsOf, type UpdateRequestOptions } from "../../runtime/requestUpdate.js";
import type { UpdateReport } from "../../runtime/updateReport.js";
import type { HostClient } from "../HostClient.js";

/** What an update through `--host` became: the report, and the URL of the host that ran it. */
export interface RemoteOutcome {
  report: UpdateReport;
  host: string;
}

/**
 * Runs an update (or rollback) on the host `--host` names, through its API, and resolves with
 * the report once it is over. A host on the data directory gets requests through its request
 * table instead (`runtime.requestUpdate`): that way tells each step as it begins and, when the
 * host dies during the update, which step it reached. `signal` stops the wait, not the update:
 * the host goes on with it. `from` is a path on the host's machine.
 */
export async function updateThroughApi(
  host: HostClient,
  id: string,
  request: UpdateRequestOptions,
  signal?: AbortSignal,
): Promise<RemoteOutcome> {
  const { action = "update", onStep: _onStep, signal: _signal, pollMs: _pollMs, ...wanted } = request;
  const report =
    action === "rollback"
      ? await host.rollback(id, timings(wanted), signal)
      : await host.update(id, updateOptionsOf(wanted), signal);
  return { report, host: host.target.url };
}

function timings({ drainTimeoutMs, graceMs }: UpdateRequestOptions): {
  drainTimeoutMs?: number;
  graceMs?: number;
} {
  return {
    ...(drainTimeoutMs === undefined ? {} : { drainTimeoutMs }),
    ...(graceMs === undefined ? {} : { graceMs }),
  };
}
