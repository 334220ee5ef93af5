import type { FastifyInstance } from "fastify";
import type { HostMetrics } from "./metrics/HostMetrics.js";
import { errorResponses } from "./schemas.js";

/** How the host serves `GET /metrics` (`HostServerOptions.metrics`). */
export interface MetricsOptions {
  /**
   * Serve `/metrics` without the bearer token, to a Prometheus that cannot send one. Default
   * false: scrape with `authorization: { credentials_file: ... }` (see docs/resources.md).
   */
  public?: boolean;
}

/** `GET /metrics`: the Prometheus exposition of `metrics`, read when asked. */
export function registerMetricsRoute(
  app: FastifyInstance,
  metrics: HostMetrics,
  options: MetricsOptions,
): void {
  const open = options.public === true;
  app.get(
    "/metrics",
    {
      config: { public: open },
      schema: {
        tags: ["metrics"],
        summary:
          "Prometheus metrics: every module's CPU, memory, disk, network, state and restarts, calls by outcome and duration, breakers, the machine, and the process",
        ...(open ? { security: [] } : {}),
        response: {
          200: {
            description: "the Prometheus text exposition format (version 0.0.4)",
            content: { "text/plain": { schema: { type: "string" } } },
          },
          ...errorResponses,
        },
      },
    },
    async (_request, reply) => {
      const text = await metrics.scrape();
      return reply.type(metrics.contentType).send(text);
    },
  );
}
