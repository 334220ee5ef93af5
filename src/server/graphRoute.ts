import type { FastifyInstance } from "fastify";
import type { Runtime } from "../runtime/Runtime.js";
import { errorResponses } from "./schemas.js";

const graphResponse = {
  type: "object",
  properties: {
    nodes: {
      type: "array",
      description: "one per module id: the version that runs, else the highest installed",
      items: {
        type: "object",
        properties: {
          id: { type: "string" },
          version: { type: "string" },
          kind: { type: "string" },
          state: { type: "string" },
          level: {
            type: ["integer", "null"],
            description:
              "load level: 0 needs nothing, each dependency is in a lower level; null when problem is set",
          },
        },
      },
    },
    edges: {
      type: "array",
      items: {
        type: "object",
        properties: {
          from: { type: "string", description: "the dependent" },
          to: { type: "string", description: "the dependency" },
          range: { type: "string" },
          optional: { type: "boolean" },
          resolved: {
            type: ["string", "null"],
            description: "the installed version the range resolves to now",
          },
        },
      },
    },
    problem: {
      type: ["object", "null"],
      description:
        "why the modules cannot be put in load order (a cycle, a version conflict); null when they can",
      properties: { code: { type: "string" }, message: { type: "string" } },
    },
  },
} as const;

/** `GET /v1/graph`: every module and its dependencies with load levels (`runtime.queries.graph()`). */
export function registerGraphRoute(app: FastifyInstance, runtime: Runtime): void {
  app.get(
    "/v1/graph",
    {
      schema: {
        tags: ["modules"],
        summary:
          "The dependency graph: a node per module (version, kind, state, load level), an edge per declared dependency, and why it cannot be ordered when it cannot",
        response: { 200: graphResponse, ...errorResponses },
      },
    },
    () => runtime.queries.graph(),
  );
}
