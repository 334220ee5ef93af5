import type { FastifyInstance } from "fastify";
import { parseInstant } from "../common/timeSpec.js";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import type { Runtime } from "../runtime/Runtime.js";
import { errorResponses, refParams } from "./schemas.js";
import { historyQuery, historyResponse, reportQuery, reportResponse } from "./resourceSchemas.js";

/** `GET /v1/report` and `GET /v1/modules/{ref}/resources`: the stored resource history and its report. */
export function registerResourceRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get<{ Querystring: { since: string; until?: string; module?: string } }>(
    "/v1/report",
    {
      schema: {
        tags: ["resources"],
        summary:
          "Per module version over a period: average, peak, p95 and trend of CPU, memory, disk and network, top consumers, restarts and errors",
        querystring: reportQuery,
        response: { 200: reportResponse, ...errorResponses },
      },
    },
    (request) => {
      const { since, until, module } = request.query;
      const now = runtime.clock.wallNow();
      return runtime.resources.report({
        since: instantParam("since", since, now),
        ...(until === undefined ? {} : { until: instantParam("until", until, now) }),
        ...(module === undefined ? {} : { module }),
      });
    },
  );

  app.get<{ Params: { ref: string }; Querystring: { since: string; until?: string } }>(
    "/v1/modules/:ref/resources",
    {
      schema: {
        tags: ["resources"],
        summary:
          "A module's resource history (`id`: every version; `id@version`): raw samples where kept, else one-minute roll-ups",
        params: refParams,
        querystring: historyQuery,
        response: { 200: historyResponse, ...errorResponses },
      },
    },
    (request) => {
      const { since, until } = request.query;
      const now = runtime.clock.wallNow();
      const points = runtime.resources.history(request.params.ref, {
        since: instantParam("since", since, now),
        ...(until === undefined ? {} : { until: instantParam("until", until, now) }),
      });
      return { points };
    },
  );
}

/** A query's instant in ms since the epoch; `CHIP_ERR_REQUEST_INVALID` (400) naming `name` when it is none. */
function instantParam(name: string, text: string, now: number): number {
  const at = parseInstant(text, now);
  if (at !== undefined) return at;
  throw new ChipsetError(
    ErrorCodes.REQUEST_INVALID,
    `the query's ${name} is ${JSON.stringify(text)}, which is no time: give a duration back from now (15m, 24h, 7d), ` +
      `an ISO 8601 time (2026-12-07T10:00:00Z) or ms since the epoch`,
    { details: { status: 400, part: "querystring", field: name, found: text } },
  );
}
