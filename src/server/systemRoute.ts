import type { FastifyInstance } from "fastify";
import type { Runtime } from "../runtime/Runtime.js";
import { environmentReportSchema } from "./environmentSchemas.js";
import { systemFiguresSchema } from "./sampleSchemas.js";
import { errorResponses } from "./schemas.js";

/**
 * `GET /v1/system`: the machine beside the modules (`runtime.resources.system()`): load, CPU,
 * memory, the data directory's disk, network rates and connections, and the host process. Two
 * readers within half a sampling interval get the same reading, so their rates agree.
 * `GET /v1/environment`: what the host found it runs on when it was created, and the defaults it
 * adapted to it (`runtime.environment()`, see docs/environment.md).
 */
export function registerSystemRoute(app: FastifyInstance, runtime: Runtime): void {
  app.get(
    "/v1/system",
    {
      schema: {
        tags: ["resources"],
        summary:
          "The machine: load, CPU %, memory used and available, the data directory's disk, network rates and connections, the host process",
        response: { 200: systemFiguresSchema, ...errorResponses },
      },
    },
    () => runtime.resources.system(),
  );

  app.get(
    "/v1/environment",
    {
      schema: {
        tags: ["resources"],
        summary:
          "What the host runs on (machine, container, Kubernetes, WSL, serverless, CI, each with its evidence), the capability matrix with its limits, and the defaults adapted to it",
        response: { 200: environmentReportSchema, ...errorResponses },
      },
    },
    () => runtime.environment(),
  );
}
