import type { FastifyInstance } from "fastify";
import { errorResponses, shutdownBody, shutdownResponse } from "./schemas.js";

/**
 * `POST /v1/shutdown`: answers 202 at once, then calls `stop` (what SIGTERM does: the API closes,
 * the modules stop in reverse order, the process exits). A second request while the host stops
 * is answered the same way, if the API still listens; `stop` is idempotent.
 */
export function registerShutdownRoute(app: FastifyInstance, stop: () => void): void {
  app.post(
    "/v1/shutdown",
    {
      schema: {
        tags: ["host"],
        summary:
          "Stop the host gracefully (as SIGTERM does): 202 at once; the API closes, the modules stop, the process exits",
        body: shutdownBody,
        response: { 202: shutdownResponse, ...errorResponses },
      },
    },
    async (_request, reply) => {
      // Once the answer is sent: closing the API waits for the requests under way, this one included.
      reply.raw.once("finish", stop);
      return reply.code(202).send({ pid: process.pid, stopping: true });
    },
  );
}
