import type { FastifyInstance } from "fastify";
import type { DispatchExplanation } from "../dispatch/strategies.js";
import type { Runtime } from "../runtime/Runtime.js";
import type { DispatchRequest } from "../vocabulary/dispatch.js";
import {
  dispatchRequestSchema,
  engineCallParams,
  enginesResponse,
  executeBody,
  explanationResponse,
} from "./engineSchemas.js";
import { callBody, callResponse, errorResponses } from "./schemas.js";
import { connectionSignal } from "./connectionSignal.js";

const tags = ["engines"];

/**
 * Document 004's engine manager over HTTP (see docs/dispatch.md): `GET /v1/engines` lists the
 * pools (`runtime.engines()`); `POST /v1/dispatch/explain` shows every candidate's eligibility
 * and score for a request (`runtime.explainDispatch`); `POST /v1/execute` calls the engine a
 * request picks (`runtime.execute`); `POST /v1/engines/{key}/calls/{method}` calls one named
 * engine instance (`runtime.executeOn`).
 */
export function registerEngineRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get(
    "/v1/engines",
    {
      schema: {
        tags,
        summary:
          "Every engine pool (modules with an engine section, by type) with each live member's health, rotation, load and calls",
        response: { 200: enginesResponse, ...errorResponses },
      },
    },
    () => ({ pools: runtime.engines() }),
  );

  app.post<{ Body: DispatchRequest }>(
    "/v1/dispatch/explain",
    {
      schema: {
        tags,
        summary:
          "For a request (type, capabilities, key, labels, strategy): every live engine, eligible or why not, its score factor by factor, and the one the strategy would pick now; changes nothing",
        body: dispatchRequestSchema,
        response: { 200: explanationResponse, ...errorResponses },
      },
    },
    (request) => asJson(runtime.explainDispatch(request.body)),
  );

  app.post<{ Body: { request: DispatchRequest; method: string; args?: unknown[] } }>(
    "/v1/execute",
    {
      schema: {
        tags,
        summary:
          "Call `method` with `args` on the engine `request` picks (default strategy score), starting the pool when none runs; an idempotent call that fails is tried on another engine",
        body: executeBody,
        response: { 200: callResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { request: dispatch, method, args = [] } = request.body;
      const signal = connectionSignal(request.raw.socket);
      const result = await runtime.dispatch.execute(dispatch, method, args, { signal });
      return { result: result ?? null };
    },
  );

  app.post<{ Params: { key: string; method: string }; Body: { args?: unknown[] } | undefined }>(
    "/v1/engines/:key/calls/:method",
    {
      schema: {
        tags,
        summary:
          "Call `method` with `args` on the engine instance at `key` (id@version, #replica after the first), through its policies, without dispatch",
        params: engineCallParams,
        body: callBody,
        response: { 200: callResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { key, method } = request.params;
      const signal = connectionSignal(request.raw.socket);
      const result = await runtime.dispatch.executeOn(key, method, request.body?.args ?? [], { signal });
      return { result: result ?? null };
    },
  );
}

/** The explanation with `null` where it has `undefined` (the engine type, mean time, total, pick), as JSON says it. */
function asJson(explanation: DispatchExplanation) {
  return {
    ...explanation,
    picked: explanation.picked ?? null,
    candidates: explanation.candidates.map((c) => ({
      ...c,
      engineType: c.engineType ?? null,
      meanMs: c.meanMs ?? null,
      score: { ...c.score, total: c.score.total ?? null },
    })),
  };
}
