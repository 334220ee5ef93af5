import type { FastifyInstance } from "fastify";
import type { Runtime } from "../runtime/Runtime.js";
import { HISTORY_PER_MODULE } from "../registry/UpdateHistory.js";
import { errorResponses, refParams, updateReportSchema } from "./schemas.js";

const tags = ["modules"];

const configResponse = {
  type: "object",
  properties: {
    id: { type: "string" },
    version: { type: "string" },
    config: {
      description:
        'the configuration the module is handed (with its configSchema\'s defaults), each secret replaced by "[redacted]"',
    },
    redacted: {
      type: "array",
      items: { type: "string" },
      description:
        "JSON pointers of the values hidden (writeOnly in the configSchema, or keys named like secrets)",
    },
    source: {
      type: "string",
      description:
        'where it was set: the config file\'s absolute path, "options" (in code), or "defaults" (no entry)',
    },
    key: {
      type: ["string", "null"],
      description:
        "the entry of the config's modules that applies (id, id@version or id@range); null with defaults",
    },
    live: {
      type: "boolean",
      description:
        "true: what the loaded instance was handed at init; false: what its next init will hand it",
    },
    problem: {
      type: ["object", "null"],
      description:
        "why the configuration does not fit the configSchema (then config is as given); null when it does",
      properties: { code: { type: "string" }, message: { type: "string" } },
    },
  },
} as const;

const historyQuery = {
  type: "object",
  additionalProperties: false,
  properties: { limit: { type: "integer", minimum: 1, maximum: HISTORY_PER_MODULE, default: 50 } },
} as const;

const historyResponse = {
  type: "object",
  properties: {
    updates: {
      type: "array",
      description: "newest first",
      items: {
        type: "object",
        properties: {
          seq: { type: "integer", description: "increasing: a later update has a higher number" },
          id: { type: "string" },
          action: { type: "string", enum: ["update", "rollback"] },
          strategy: { type: "string", description: "blue-green or canary" },
          from: { type: ["string", "null"], description: "the version that served before" },
          to: {
            type: ["string", "null"],
            description: "the version updated to (null: not known when it failed)",
          },
          outcome: { type: "string", enum: ["completed", "installed", "unchanged", "rolled-back", "failed"] },
          code: {
            type: ["string", "null"],
            description: "the CHIP_ERR_* it failed with; null when it did not",
          },
          message: { type: ["string", "null"], description: "that error's message" },
          startedAt: { type: "number", description: "ms since epoch" },
          finishedAt: { type: "number", description: "ms since epoch" },
          report: updateReportSchema,
        },
      },
    },
  },
} as const;

/** `GET /v1/modules/{ref}/config` and `GET /v1/modules/{ref}/updates`: what a module's detail shows besides `GET /v1/modules/{ref}`. */
export function registerModuleDetailRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get<{ Params: { ref: string } }>(
    "/v1/modules/:ref/config",
    {
      schema: {
        tags,
        summary:
          "The configuration a module receives, with its schema's defaults, where it was set, and its secrets redacted (`runtime.queries.config`)",
        params: refParams,
        response: { 200: configResponse, ...errorResponses },
      },
    },
    (request) => runtime.queries.config(request.params.ref),
  );

  app.get<{ Params: { ref: string }; Querystring: { limit: number } }>(
    "/v1/modules/:ref/updates",
    {
      schema: {
        tags,
        summary:
          "A module's updates and rollbacks, newest first, each with its outcome, the error code when it failed, and its report (`runtime.queries.updateHistory`)",
        params: refParams,
        querystring: historyQuery,
        response: { 200: historyResponse, ...errorResponses },
      },
    },
    (request) => ({
      updates: runtime.queries.updateHistory(request.params.ref, { limit: request.query.limit }),
    }),
  );
}
