import type { FastifyInstance } from "fastify";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import type { Runtime } from "../runtime/Runtime.js";
import { HTTP_TRIGGER_PREFIX, TRIGGER_HTTP_METHODS } from "../vocabulary/triggers.js";
import { errorResponses, errorSchema } from "./schemas.js";

const outcomeSchema = {
  type: "object",
  nullable: true,
  description: "how the last firing went; null when it has not fired since the host started",
  properties: {
    ok: { type: "boolean" },
    at: { type: "number", description: "when it fired, ms since the Unix epoch" },
    durationMs: { type: "number" },
    code: { type: "string", description: "the error's code when it failed" },
    message: { type: "string" },
  },
} as const;

/** `GET /v1/triggers`. */
export const triggerListSchema = {
  type: "object",
  required: ["triggers"],
  properties: {
    triggers: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "version", "trigger", "kind", "call", "fired", "missed", "last"],
        properties: {
          id: { type: "string" },
          version: { type: "string", description: "the version whose manifest declares it" },
          trigger: { type: "integer", description: "its index in the manifest's triggers" },
          kind: { type: "string", enum: ["cron", "http"] },
          call: { type: "string", description: "the api method it calls" },
          cron: { type: "string" },
          timeZone: { type: "string", description: "the IANA time zone the expression is read in" },
          nextRun: { type: "string", nullable: true, description: "the next tick, ISO 8601" },
          method: { type: "string" },
          path: { type: "string", description: "where the host serves it: /t/<declared path>" },
          fired: { type: "integer", description: "firings since the host started" },
          missed: { type: "integer", description: "cron ticks missed since the host started" },
          last: outcomeSchema,
          conflict: { type: "string", description: "why it is not served (its route is another module's)" },
        },
      },
    },
  },
} as const;

/**
 * `GET /v1/triggers`, and the HTTP triggers of the modules under `/t/*`: a request to
 * `/t/hooks/ingest` calls the module whose trigger declares that method and path, with the JSON
 * body (a GET's query) as its one argument, and answers its result as JSON. The bearer token is
 * needed as on every API route; a failed call answers its error with the status of its code.
 */
export function registerTriggerRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get(
    "/v1/triggers",
    {
      schema: {
        tags: ["triggers"],
        summary: "Every cron and HTTP trigger of the registered modules, with its next run and last outcome",
        response: { 200: triggerListSchema, ...errorResponses },
      },
    },
    () => ({ triggers: runtime.triggers.list() }),
  );

  app.route<{ Params: { "*": string } }>({
    method: [...TRIGGER_HTTP_METHODS],
    url: `${HTTP_TRIGGER_PREFIX}/*`,
    schema: {
      tags: ["triggers"],
      summary:
        "An HTTP trigger of a module: its declared path under /t; the JSON body (a GET's query) is the call's argument, the result the response",
      response: {
        200: { description: "the module's result as JSON", content: { "application/json": { schema: {} } } },
        404: errorSchema,
        ...errorResponses,
      },
    },
    handler: async (request, reply) => {
      // A client that goes away cancels its call: the module sees its signal aborted.
      const abort = new AbortController();
      const gone = (): void => {
        if (!reply.raw.writableFinished)
          abort.abort(new ChipsetError(ErrorCodes.ABORTED, "the HTTP client closed the connection"));
      };
      reply.raw.on("close", gone);
      try {
        const arg = request.method === "GET" ? { ...(request.query as object) } : (request.body ?? null);
        const path = `/${request.params["*"]}`;
        const result = await runtime.triggers.callRoute(request.method, path, arg, abort.signal);
        return reply
          .code(200)
          .type("application/json; charset=utf-8")
          .send(JSON.stringify(result ?? null));
      } finally {
        reply.raw.off("close", gone);
      }
    },
  });
}
