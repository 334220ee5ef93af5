import type { Clock } from "../common/Clock.js";
import { abortError } from "../common/abort.js";
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes, type ErrorCode } from "../errors/codes.js";
import type {
  RecordedError,
  RequestedUpdate,
  UpdateAction,
  UpdateRequest,
  UpdateRequests,
} from "../registry/UpdateRequests.js";
import type { Updater } from "./Updater.js";
import type { UpdateOptions, UpdateReport, UpdateStep } from "./updateReport.js";

/** How the CLI asks for an update or a rollback (`runtime.requestUpdate`). */
export interface UpdateRequestOptions extends RequestedUpdate {
  /** Default `"update"`. */
  action?: UpdateAction;
  /** Called as each step begins, wherever the update runs. */
  onStep?: (step: UpdateStep) => void;
  /** Stops the request: a pending one is withdrawn; one a host already runs goes on there. */
  signal?: AbortSignal;
  /** How often the outcome of a host's work is read, in ms. Default 100. */
  pollMs?: number;
}

/** What a request became: the update's report, and the host that ran it (null: this process). */
export interface RequestedOutcome {
  report: UpdateReport;
  host: number | null;
}

/** What {@link requestUpdate} needs. */
export interface RequestUpdateDeps {
  clock: Clock;
  requests: UpdateRequests;
  updater: Pick<Updater, "update" | "rollback">;
}

const DEFAULT_POLL_MS = 100;

/**
 * Updates (or rolls back) `id` where it runs: a host on the same data directory (`chipset
 * start`) is left a request and watched until it records the outcome; with no host, the update
 * runs in this process (the module is not loaded anywhere, so it is installed and made active
 * for the next load). Rejects as `runtime.update` does, with the host's error rebuilt.
 */
export async function requestUpdate(
  deps: RequestUpdateDeps,
  id: string,
  options: UpdateRequestOptions,
): Promise<RequestedOutcome> {
  const { requests } = deps;
  const { action = "update", onStep, signal, pollMs = DEFAULT_POLL_MS, ...wanted } = options;
  requests.abandonDead();
  const host = requests.liveHost();
  if (host === undefined) {
    const local: UpdateOptions = {
      ...updateOptionsOf(wanted),
      ...(onStep === undefined ? {} : { onStep }),
      ...(signal === undefined ? {} : { signal }),
    };
    const report = await (action === "rollback"
      ? deps.updater.rollback(id, local)
      : deps.updater.update(id, local));
    return { report, host: null };
  }
  if (signal?.aborted === true) throw abortError(signal, `the ${action} of ${id}`);
  const seq = requests.ask(id, action, wanted);
  const request = await watch(deps, seq, host, pollMs, onStep, signal);
  if (request.status === "done") return { report: request.result!.report as UpdateReport, host };
  throw errorOf(request);
}

/** Polls request `seq` until it is over, telling each new step; withdraws it when `signal` fires while pending. */
function watch(
  deps: RequestUpdateDeps,
  seq: number,
  host: number,
  pollMs: number,
  onStep: ((step: UpdateStep) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<UpdateRequest> {
  const { clock, requests } = deps;
  let told: string | null = null;
  return new Promise((resolve, reject) => {
    const look = (): void => {
      try {
        let request = requests.get(seq)!;
        if (signal?.aborted === true) {
          if (request.status === "pending") {
            requests.finish(seq, "failed", { error: recorded(abortError(signal, "the request")) });
            return reject(abortError(signal, `the ${request.action} of ${request.id}`));
          }
          if (request.status === "running")
            return reject(
              abortError(
                signal,
                `waiting for the ${request.action} of ${request.id} (the host, process ${host}, goes on with it and prints how it ends; \`chipset rollback\` undoes it)`,
              ),
            );
        }
        if (request.status === "running" || request.status === "pending") {
          requests.abandonDead();
          if (request.status === "pending" && requests.liveHost() === undefined)
            requests.finish(seq, "failed", {
              error: {
                code: ErrorCodes.UPDATE_FAILED,
                message: `the host (process ${host}) stopped before it took the ${request.action} of ${request.id}; nothing changed. Run the command again`,
                details: { module: request.id, host },
              },
            });
          request = requests.get(seq)!;
        }
        if (request.step !== null && request.step !== told) onStep?.((told = request.step) as UpdateStep);
        if (request.status === "done" || request.status === "failed") return resolve(request);
        clock.setTimeout(look, pollMs);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    look();
  });
}

/** `runtime.update`'s options for what a request asks (`canary` settings mean the canary strategy). */
export function updateOptionsOf({ canary, ...rest }: RequestedUpdate): UpdateOptions {
  return canary === undefined ? rest : { ...rest, strategy: "canary", canary };
}

/** An error as a request records it (its report, when it carries one, goes beside it). */
export function recorded(err: unknown): RecordedError {
  if (err instanceof ChipsetError) {
    const { report: _report, ...details } = err.details;
    return {
      code: err.code,
      message: err.message,
      details: JSON.parse(JSON.stringify(details)) as Record<string, unknown>,
    };
  }
  return { code: ErrorCodes.UPDATE_FAILED, message: messageOf(err) };
}

/** The error a failed request recorded, as a `ChipsetError` again (with its report, if any). */
function errorOf(request: UpdateRequest): ChipsetError {
  const error = request.result?.error ?? {
    code: ErrorCodes.UPDATE_FAILED,
    message: `the ${request.action} of ${request.id} failed without saying why`,
  };
  const report = request.result?.report;
  return new ChipsetError(error.code as ErrorCode, error.message, {
    module: request.id,
    details: { ...error.details, ...(report === undefined ? {} : { report }), host: request.takenBy },
  });
}
