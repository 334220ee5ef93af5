import { abortError } from "../common/abort.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes, type ErrorCode } from "../errors/codes.js";
import { httpText } from "./httpText.js";
import type { ErrorCounts, ErrorEntry } from "../monitoring/ErrorStore.js";
import type { ResourceReport } from "../resources/ResourceReport.js";
import type { ReportOptions } from "../runtime/ResourceReports.js";
import type { SystemFigures } from "../resources/SystemMeter.js";
import type { TriggerStatus } from "../runtime/Triggers.js";
import type { EnginePool } from "../runtime/Engines.js";
import type { ReplicaSetView, ScaleResult } from "../runtime/Replicas.js";
import type { DispatchExplanation } from "../dispatch/strategies.js";
import type { DispatchRequest } from "../vocabulary/dispatch.js";
import type { UpdateOptions, UpdateReport } from "../runtime/updateReport.js";
import type { LiveInstance, ModuleDetail, ModuleView } from "../server/ModuleViews.js";
import type { ControlAction } from "../server/schemas.js";

/** Where a host's API is, with what to send it, and how the CLI found it (for messages). */
export interface HostTarget {
  /** The API's base URL, without a trailing slash (`http://127.0.0.1:7411`). */
  url: string;
  /** The bearer token sent; undefined sends none (the host answers `CHIP_ERR_UNAUTHORIZED`). */
  token: string | undefined;
  /** The host's pid when `host.json` named it; undefined for `--host`. */
  pid: number | undefined;
  /** The `host.json` it was read from; undefined for `--host`. */
  file: string | undefined;
}

/** What `POST /v1/modules/{ref}/{action}` answers. */
export interface ControlResult {
  id: string;
  version: string;
  action: ControlAction;
  /** The module's state after the action. */
  state: string;
  /** Its live instance after the action (where it runs now), or null. */
  instance: LiveInstance | null;
}

/** What `GET /v1/errors` answers: the same shape as `runtime.errors` gives offline. */
export interface HostErrors {
  recent: ErrorEntry[];
  counts: ErrorCounts;
}

/** The update options that travel as JSON (no signal, no callback). */
export type JsonUpdateOptions = Omit<UpdateOptions, "signal" | "onStep">;

/** A {@link DispatchExplanation} as JSON carries it: `null` where the runtime has `undefined`. */
export type JsonExplanation = Omit<DispatchExplanation, "picked" | "candidates"> & {
  picked: string | null;
  candidates: Array<
    Omit<DispatchExplanation["candidates"][number], "engineType" | "meanMs" | "score"> & {
      engineType: string | null;
      meanMs: number | null;
      score: Omit<DispatchExplanation["candidates"][number]["score"], "total"> & { total: number | null };
    }
  >;
};

/** The most recent errors `GET /v1/errors` answers at once. */
export const MAX_HOST_ERRORS = 500;

/**
 * A typed client of the running host's HTTP API (`node:http`, see {@link httpText}). A failed request
 * rejects with the host's error rebuilt as a `ChipsetError` with the same code, module and
 * details, so a command prints it (and exits) as an offline run would; a host that does not
 * answer, or answers something that is not Chipset's API, is `CHIP_ERR_HOST_UNREACHABLE`.
 * Every method takes an optional `signal`; with none a request waits as long as the host works.
 */
export class HostClient {
  constructor(readonly target: HostTarget) {}

  /** `GET /v1/modules`: every registered version with its live instance and breakers, filtered as `chipset ls` does. */
  async modules(
    filter: { kind?: string; search?: string } = {},
    signal?: AbortSignal,
  ): Promise<ModuleView[]> {
    const query = new URLSearchParams(filter).toString();
    const body = await this.request<{ modules: ModuleView[] }>(
      "GET",
      `/v1/modules${query === "" ? "" : `?${query}`}`,
      undefined,
      signal,
    );
    return body.modules;
  }

  /** `GET /v1/modules/{ref}`: one module, every live version of its id and its breakers. */
  module(ref: string, signal?: AbortSignal): Promise<ModuleDetail> {
    return this.request("GET", `/v1/modules/${encodeURIComponent(ref)}`, undefined, signal);
  }

  /** `POST /v1/modules/{ref}/{action}`; `cascade` stops (or unloads) running dependents first. */
  control(
    ref: string,
    action: ControlAction,
    options: { cascade?: boolean } = {},
    signal?: AbortSignal,
  ): Promise<ControlResult> {
    const body = options.cascade === true ? { cascade: true } : {};
    return this.request("POST", `/v1/modules/${encodeURIComponent(ref)}/${action}`, body, signal);
  }

  /** `POST /v1/modules/{ref}/calls/{method}`: what the method returned (null for undefined). */
  async call(ref: string, method: string, args: readonly unknown[], signal?: AbortSignal): Promise<unknown> {
    const body = await this.request<{ result: unknown }>(
      "POST",
      `/v1/modules/${encodeURIComponent(ref)}/calls/${encodeURIComponent(method)}`,
      { args },
      signal,
    );
    return body.result;
  }

  /** `GET /v1/errors`: the `limit` most recent (at most {@link MAX_HOST_ERRORS}) and the all-time counts. */
  errors(filter: { id?: string; limit?: number } = {}, signal?: AbortSignal): Promise<HostErrors> {
    const query = new URLSearchParams();
    if (filter.id !== undefined) query.set("id", filter.id);
    if (filter.limit !== undefined) query.set("limit", String(Math.min(filter.limit, MAX_HOST_ERRORS)));
    const text = query.toString();
    return this.request("GET", `/v1/errors${text === "" ? "" : `?${text}`}`, undefined, signal);
  }

  /** `POST /v1/modules/{id}/update`: the update's report once it is over. */
  update(id: string, options: JsonUpdateOptions, signal?: AbortSignal): Promise<UpdateReport> {
    return this.request("POST", `/v1/modules/${encodeURIComponent(id)}/update`, options, signal);
  }

  /** `POST /v1/modules/{id}/rollback`: the report once it is over. */
  rollback(
    id: string,
    options: Pick<UpdateOptions, "drainTimeoutMs" | "graceMs">,
    signal?: AbortSignal,
  ): Promise<UpdateReport> {
    return this.request("POST", `/v1/modules/${encodeURIComponent(id)}/rollback`, options, signal);
  }

  /** `GET /v1/report`: the resource report of a period (instants in ms since the epoch). */
  report(options: ReportOptions, signal?: AbortSignal): Promise<ResourceReport> {
    const query = new URLSearchParams({ since: String(options.since) });
    if (options.until !== undefined) query.set("until", String(options.until));
    if (options.module !== undefined) query.set("module", options.module);
    return this.request("GET", `/v1/report?${query.toString()}`, undefined, signal);
  }

  /** `POST /v1/modules/{ref}/scale`: once the new replicas run (or the leaving ones drained). */
  scale(ref: string, count: number, signal?: AbortSignal): Promise<ScaleResult> {
    return this.request("POST", `/v1/modules/${encodeURIComponent(ref)}/scale`, { count }, signal);
  }

  /** `GET /v1/replicas`: each replicated module's desired and current count, min, max and strategy. */
  async replicas(signal?: AbortSignal): Promise<ReplicaSetView[]> {
    const body = await this.request<{ replicas: ReplicaSetView[] }>("GET", "/v1/replicas", undefined, signal);
    return body.replicas;
  }

  /** `GET /v1/engines`: every engine pool with its live members' health, rotation, load and calls. */
  async engines(signal?: AbortSignal): Promise<EnginePool[]> {
    const body = await this.request<{ pools: EnginePool[] }>("GET", "/v1/engines", undefined, signal);
    return body.pools;
  }

  /** `POST /v1/dispatch/explain`: every live engine's eligibility and score for `request` (JSON: null for undefined). */
  explainDispatch(request: DispatchRequest, signal?: AbortSignal): Promise<JsonExplanation> {
    return this.request("POST", "/v1/dispatch/explain", request, signal);
  }

  /** `POST /v1/execute`: what `method` returned on the engine `request` picked (null for undefined). */
  async execute(
    request: DispatchRequest,
    method: string,
    args: readonly unknown[],
    signal?: AbortSignal,
  ): Promise<unknown> {
    const body = await this.request<{ result: unknown }>(
      "POST",
      "/v1/execute",
      { request, method, args },
      signal,
    );
    return body.result;
  }

  /** `POST /v1/engines/{key}/calls/{method}`: what `method` returned on the engine instance at `key`. */
  async executeOn(
    key: string,
    method: string,
    args: readonly unknown[],
    signal?: AbortSignal,
  ): Promise<unknown> {
    const body = await this.request<{ result: unknown }>(
      "POST",
      `/v1/engines/${encodeURIComponent(key)}/calls/${encodeURIComponent(method)}`,
      { args },
      signal,
    );
    return body.result;
  }

  /** `GET /v1/system`: the machine's load, CPU, memory, disk, network and the host process. */
  system(signal?: AbortSignal): Promise<SystemFigures> {
    return this.request("GET", "/v1/system", undefined, signal);
  }

  /** `GET /v1/triggers`: every cron and HTTP trigger with its next run and last outcome. */
  async triggers(signal?: AbortSignal): Promise<TriggerStatus[]> {
    const body = await this.request<{ triggers: TriggerStatus[] }>("GET", "/v1/triggers", undefined, signal);
    return body.triggers;
  }

  private async request<T>(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.target.token !== undefined) headers["authorization"] = `Bearer ${this.target.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let status: number;
    let text: string;
    try {
      ({ status, text } = await httpText(`${this.target.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      }));
    } catch (err) {
      if (signal?.aborted === true && !isTimeout(signal)) throw abortError(signal, `${method} ${path}`);
      throw this.unreachable(reasonOf(err, signal), err);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw this.unreachable(`it answered ${status} with something that is not JSON`);
    }
    if (status >= 200 && status < 300) return json as T;
    throw this.errorOf(status, json);
  }

  /** The host's error as the `ChipsetError` it was there; a reply that is not one is not Chipset's API. */
  private errorOf(status: number, json: unknown): ChipsetError {
    const reply: Record<string, unknown> = isObject(json) ? json : {};
    const { code, message } = reply;
    if (typeof code !== "string" || typeof message !== "string")
      return this.unreachable(`it answered ${status} without a Chipset error`);
    if (!isErrorCode(code))
      return new ChipsetError(
        ErrorCodes.INTERNAL,
        `the host answered an error this chipset does not know, ${code}: ${message}; is the CLI older than the host?`,
        { details: { code, status } },
      );
    return new ChipsetError(code, message, {
      ...(typeof reply["module"] === "string" ? { module: reply["module"] } : {}),
      ...(isObject(reply["details"]) ? { details: reply["details"] } : {}),
      ...(isObject(reply["context"]) ? { context: reply["context"] } : {}),
    });
  }

  private unreachable(reason: string, cause?: unknown): ChipsetError {
    const { url, pid, file } = this.target;
    const message =
      file === undefined
        ? `no Chipset host answers at ${url} (${reason}); check --host, or run the command here without a host: --offline`
        : `the host ${file} names (pid ${pid}) does not answer at ${url} (${reason}); ` +
          `if that process is no longer a Chipset host (it was killed and its pid reused), remove ${file}; ` +
          `or run the command here without the host: --offline`;
    return new ChipsetError(ErrorCodes.HOST_UNREACHABLE, message, {
      cause,
      details: { url, pid: pid ?? null, file: file ?? null, reason },
    });
  }
}

/** Why a fetch failed, in a few words: `ECONNREFUSED`, `no answer in time`... */
function reasonOf(err: unknown, signal: AbortSignal | undefined): string {
  if (signal !== undefined && isTimeout(signal)) return "no answer in time";
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** True when `signal` was aborted by `AbortSignal.timeout`. */
const isTimeout = (signal: AbortSignal): boolean =>
  signal.aborted && (signal.reason as { name?: unknown } | undefined)?.name === "TimeoutError";

const codes = new Set<string>(Object.values(ErrorCodes));
const isErrorCode = (code: string): code is ErrorCode => codes.has(code);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
