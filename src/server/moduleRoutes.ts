import type { FastifyInstance } from "fastify";
import type { Runtime } from "../runtime/Runtime.js";
import type { UpdateOptions } from "../runtime/updateReport.js";
import { connectionSignal } from "./connectionSignal.js";
import type { ModuleViews } from "./ModuleViews.js";
import {
  callBody,
  callParams,
  callResponse,
  controlBody,
  controlParams,
  controlResponse,
  errorResponses,
  moduleDetailSchema,
  moduleListQuery,
  moduleListSchema,
  refParams,
  rollbackBody,
  updateBody,
  updateReportSchema,
  type ControlAction,
} from "./schemas.js";

const tags = ["modules"];

/** `GET /v1/modules[/{ref}]`, `POST /v1/modules/{ref}/{action}`, `.../calls/{method}`, `.../update`, `.../rollback`. */
export function registerModuleRoutes(app: FastifyInstance, runtime: Runtime, views: ModuleViews): void {
  app.get<{ Querystring: { kind?: string; search?: string } }>(
    "/v1/modules",
    {
      schema: {
        tags,
        summary:
          "Every registered module version, with its live instance, host, calls, uptime, restarts and breakers",
        querystring: moduleListQuery,
        response: { 200: moduleListSchema, ...errorResponses },
      },
    },
    (request) => ({ modules: views.list(request.query) }),
  );

  app.get<{ Params: { ref: string } }>(
    "/v1/modules/:ref",
    {
      schema: {
        tags,
        summary:
          "One module (`id`, `id@version`, `id@range`): its manifest, versions, dependencies, crashes and every live version",
        params: refParams,
        response: { 200: moduleDetailSchema, ...errorResponses },
      },
    },
    (request) => views.detail(request.params.ref),
  );

  app.post<{ Params: { ref: string; action: ControlAction }; Body: { cascade?: boolean } | undefined }>(
    "/v1/modules/:ref/:action",
    {
      schema: {
        tags,
        summary:
          "Control a module: load, start, stop, pause, resume, restart (unload, then start in a fresh host) or unload",
        params: controlParams,
        body: controlBody,
        response: { 200: controlResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { ref, action } = request.params;
      await control(runtime, ref, action, request.body?.cascade === true);
      const info = runtime.queries.info(ref);
      const instance = views.instanceOf(info.id, info.version);
      return { id: info.id, version: info.version, action, state: info.state, instance };
    },
  );

  app.post<{ Params: { ref: string; method: string }; Body: { args?: unknown[] } | undefined }>(
    "/v1/modules/:ref/calls/:method",
    {
      schema: {
        tags,
        summary: "Call a method of a module (loaded and started on demand) with `args`",
        params: callParams,
        body: callBody,
        response: { 200: callResponse, ...errorResponses },
      },
    },
    async (request) => {
      const signal = connectionSignal(request.raw.socket);
      const result = await runtime.call(request.params.ref, request.params.method, request.body?.args ?? [], {
        signal,
      });
      return { result: result ?? null };
    },
  );

  app.post<{ Params: { ref: string }; Body: JsonUpdateOptions | undefined }>(
    "/v1/modules/:ref/update",
    {
      schema: {
        tags,
        summary: "Update a module while it serves (blue-green or canary); answers the update's report",
        params: refParams,
        body: updateBody,
        response: { 200: updateReportSchema, ...errorResponses },
      },
    },
    (request) => runtime.update(request.params.ref, request.body ?? {}),
  );

  app.post<{ Params: { ref: string }; Body: Pick<UpdateOptions, "drainTimeoutMs" | "graceMs"> | undefined }>(
    "/v1/modules/:ref/rollback",
    {
      schema: {
        tags,
        summary: "Update a module back to the version its last update replaced; answers the report",
        params: refParams,
        body: rollbackBody,
        response: { 200: updateReportSchema, ...errorResponses },
      },
    },
    (request) => runtime.rollback(request.params.ref, request.body ?? {}),
  );
}

/** The update options that travel as JSON (no signal, no callback). */
type JsonUpdateOptions = Omit<UpdateOptions, "signal" | "onStep">;

/**
 * Runs one control action; `restart` unloads the module (stopping it first) unless it is not
 * loaded, then starts it, and starts again the dependents a cascade stopped. Start, stop, unload
 * and restart are an operator's wishes: the host records them and brings them back when it
 * starts again (`persist`).
 */
async function control(
  runtime: Runtime,
  ref: string,
  action: ControlAction,
  cascade: boolean,
): Promise<void> {
  const persist = true;
  switch (action) {
    case "load":
      await runtime.load(ref);
      return;
    case "start":
      return runtime.start(ref, { persist });
    case "stop":
      return runtime.stop(ref, { cascade, persist });
    case "pause":
      return runtime.pause(ref);
    case "resume":
      return runtime.resume(ref);
    case "unload":
      return runtime.unload(ref, { cascade, persist });
    case "restart": {
      // A fresh host, as `pm2 restart` gives and as a crash's restart does: a process module gets
      // a new process, a worker module a new thread, and its code is evaluated again.
      const running = runningKeys(runtime);
      if (runtime.queries.info(ref).state !== "registered") await runtime.unload(ref, { cascade });
      await runtime.start(ref, { persist });
      // With cascade, the running dependents were stopped first: a restart brings them back too.
      const now = runningKeys(runtime);
      for (const key of running) if (!now.has(key)) await runtime.start(key);
      return;
    }
  }
}

/** `id@version` of every running module version. */
function runningKeys(runtime: Runtime): Set<string> {
  return new Set(
    runtime.queries
      .list()
      .filter((m) => m.state === "running")
      .map((m) => `${m.id}@${m.version}`),
  );
}
