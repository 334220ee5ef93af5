import type { FastifyInstance } from "fastify";
import type { Runtime } from "../runtime/Runtime.js";
import { MAX_REPLICAS } from "../registry/replicaSchemas.js";
import { replicasResponse } from "./engineSchemas.js";
import { errorResponses, refParams } from "./schemas.js";

const tags = ["modules"];

const scaleBody = {
  type: "object",
  additionalProperties: false,
  required: ["count"],
  properties: {
    count: {
      type: "integer",
      minimum: 1,
      maximum: MAX_REPLICAS,
      description: "how many replicas should run, from 1 to the module's replicas.max",
    },
  },
} as const;

const scaleResponse = {
  type: "object",
  properties: {
    id: { type: "string" },
    version: { type: "string" },
    from: { type: "integer", description: "replicas asked for before" },
    to: { type: "integer", description: "replicas asked for now (running once the call answers)" },
  },
} as const;

/**
 * `POST /v1/modules/{ref}/scale`: how many replicas of a module run (see docs/dispatch.md);
 * `GET /v1/replicas`: each replicated module's desired and current count (`runtime.replicas.list()`).
 */
export function registerReplicaRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.post<{ Params: { ref: string }; Body: { count: number } }>(
    "/v1/modules/:ref/scale",
    {
      schema: {
        tags,
        summary:
          "Set how many replicas of a module run (its manifest needs `replicas`); answers once the new ones run or the leaving ones drained",
        params: refParams,
        body: scaleBody,
        response: { 200: scaleResponse, ...errorResponses },
      },
    },
    (request) => runtime.replicas.scale(request.params.ref, request.body.count),
  );

  app.get(
    "/v1/replicas",
    {
      schema: {
        tags,
        summary:
          "Every replicated module with an instance: replicas asked for and existing now, its min, max and strategy",
        response: { 200: replicasResponse, ...errorResponses },
      },
    },
    () => ({ replicas: runtime.replicas.list() }),
  );
}
