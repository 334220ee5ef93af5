import type { FastifyInstance } from "fastify";
import type { Runtime } from "../runtime/Runtime.js";
import type { EventStream } from "./EventStream.js";
import { readiness } from "./readiness.js";
import {
  errorResponses,
  errorSchema,
  errorsQuery,
  errorsResponse,
  livezResponse,
  readyzResponse,
  startupzResponse,
} from "./schemas.js";

/** `GET /v1/errors`, `GET /v1/events` and the probes `/livez`, `/startupz`, `/readyz`. */
export function registerHostRoutes(app: FastifyInstance, runtime: Runtime, stream: EventStream): void {
  app.get<{ Querystring: { id?: string; code?: string; limit: number } }>(
    "/v1/errors",
    {
      schema: {
        tags: ["errors"],
        summary: "Recent errors, newest first, and all-time counts by code and module",
        querystring: errorsQuery,
        response: { 200: errorsResponse, ...errorResponses },
      },
    },
    (request) => {
      const { id, code, limit } = request.query;
      const filter = id === undefined ? {} : { id };
      // With a code, look through every recent error kept, then keep `limit` of that code.
      const recent = runtime.errors.recent({ ...filter, limit: code === undefined ? limit : 500 });
      return {
        recent: code === undefined ? recent : recent.filter((e) => e.code === code).slice(0, limit),
        counts: runtime.errors.counts(filter),
      };
    },
  );

  app.get<{ Headers: { "last-event-id"?: string } }>(
    "/v1/events",
    {
      schema: {
        tags: ["events"],
        summary:
          "Every runtime event as Server-Sent Events (`id:`, `event:` its name, `data:` JSON); `Last-Event-ID` resumes from the last 1 000",
        headers: {
          type: "object",
          properties: { "last-event-id": { type: "string", description: "the last `id:` received" } },
        },
        response: {
          200: {
            description: "text/event-stream, open until the client or the host closes it",
            content: { "text/event-stream": { schema: { type: "string" } } },
          },
          ...errorResponses,
        },
      },
    },
    (request, reply) => {
      stream.checkRoom();
      reply.hijack();
      stream.attach(reply.raw, request.headers["last-event-id"]);
    },
  );

  const probe = { config: { public: true }, schema: { tags: ["probes"], security: [] } } as const;

  app.get(
    "/livez",
    {
      ...probe,
      schema: {
        ...probe.schema,
        summary: "The host answers (its event loop runs)",
        response: { 200: livezResponse },
      },
    },
    () => ({ ok: true }),
  );

  app.get(
    "/startupz",
    {
      ...probe,
      schema: {
        ...probe.schema,
        summary: "200 once the runtime's start-up has finished (eager modules up), 503 before",
        response: { 200: startupzResponse, 503: startupzResponse },
      },
    },
    (_request, reply) => {
      const phase = runtime.phase;
      const ok = phase !== "created";
      return reply.code(ok ? 200 : 503).send({ ok, phase });
    },
  );

  app.get(
    "/readyz",
    {
      ...probe,
      schema: {
        ...probe.schema,
        summary:
          "200 when every eager module runs and no module they require has failed; 503 naming which is not",
        response: { 200: readyzResponse, 503: readyzResponse, 500: errorSchema },
      },
    },
    (_request, reply) => {
      const state = readiness(runtime);
      return reply.code(state.ready ? 200 : 503).send(state);
    },
  );
}
