import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { fastify, type FastifyError, type FastifyInstance } from "fastify";
import type { Clock } from "../common/Clock.js";
import { race } from "../common/race.js";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import type { Runtime } from "../runtime/Runtime.js";
import { BearerToken } from "./BearerToken.js";
import { EventStream, type EventStreamOptions } from "./EventStream.js";
import { registerDashboardRoutes, type DashboardOptions } from "./dashboardRoutes.js";
import { registerEngineRoutes } from "./engineRoutes.js";
import { registerHostRoutes } from "./hostRoutes.js";
import { HostMetrics } from "./metrics/HostMetrics.js";
import { registerMetricsRoute, type MetricsOptions } from "./metricsRoute.js";
import { errorReply, type ErrorReply } from "./httpStatus.js";
import { urlOf } from "./listenAddress.js";
import { registerModuleRoutes } from "./moduleRoutes.js";
import { registerResourceRoutes } from "./resourceRoutes.js";
import { registerReplicaRoutes } from "./replicaRoutes.js";
import { ModuleViews } from "./ModuleViews.js";
import { registerShutdownRoute } from "./shutdownRoute.js";
import { registerGraphRoute } from "./graphRoute.js";
import { registerLogRoutes, type LogsOptions } from "./logRoutes.js";
import { registerModuleDetailRoutes } from "./moduleDetailRoutes.js";
import { registerSystemRoute } from "./systemRoute.js";
import { registerTriggerRoutes } from "./triggerRoutes.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Served without a token (the probes). */
    public?: boolean;
  }
}

/** The largest request body the API reads, in bytes (1 MiB); a larger one is refused with 413. */
export const DEFAULT_BODY_LIMIT = 1 << 20;

/** One route the host serves, as Fastify has it (`url` with `:param`s). */
export interface ServedRoute {
  method: string;
  url: string;
  /** Left out of the OpenAPI document (the document itself, the `/docs` pages). */
  hidden: boolean;
}

/** Where and how the host's API serves. */
export interface HostServerOptions {
  /** The address to listen on. Default `127.0.0.1` (this machine only). */
  host?: string;
  /** The port; 0 picks a free one. Default 7411. */
  port?: number;
  /** What `Authorization: Bearer <token>` must carry on every route but the probes. */
  token: string;
  /** The largest request body, in bytes. Default {@link DEFAULT_BODY_LIMIT}. */
  bodyLimit?: number;
  /** Limits of `GET /v1/events` (clients, events kept for resuming). */
  events?: EventStreamOptions;
  /**
   * Stops the host (`chipset start` ends as on SIGTERM); serves `POST /v1/shutdown` when given.
   * Called once the request is answered, and again for each later request.
   */
  onShutdown?: () => void;
  /** The dashboard at `/`: its built files' directory (default: the package's `dist/dashboard`); `false` serves none. */
  dashboard?: DashboardOptions;
  /** `GET /metrics` (Prometheus): whether it needs the token. `false`: not served, and calls are not counted. */
  metrics?: MetricsOptions | false;
  /** Where the host writes its log records, for `GET /v1/logs`; without it that route answers `CHIP_ERR_LOGS_NOT_KEPT`. */
  logs?: LogsOptions;
}

/**
 * The running host's HTTP API (Fastify): modules and their live state, control, calls, updates,
 * errors, the event stream, and the probes, with a JSON schema on every route, OpenAPI 3 at
 * `/openapi.json` and a browsable copy at `/docs`, Prometheus metrics at `/metrics`, and the
 * dashboard at `/`. Every route but `/livez`, `/readyz`, `/startupz` and the dashboard's files
 * (which hold no data) needs the bearer token (`/metrics` too, unless
 * `metrics.public`). Make one with {@link HostServer.listen}.
 */
export class HostServer {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly app: FastifyInstance,
    private readonly stream: EventStream,
    private readonly views: ModuleViews,
    private readonly metrics: HostMetrics | undefined,
    private readonly clock: Clock,
    /** The URL it serves at, with the port it got (`http://127.0.0.1:7411`). */
    readonly url: string,
    /** Every route it serves, in the order they were added (HEAD routes Fastify adds included). */
    readonly routes: readonly ServedRoute[],
  ) {}

  /**
   * Serves `runtime`'s API on `options.host`:`options.port` and resolves once it listens.
   * Make it before `runtime.start()` to stream the start-up's events and answer `/startupz`
   * meanwhile. Rejects with `CHIP_ERR_LISTEN_FAILED` when the address cannot be used.
   */
  static async listen(runtime: Runtime, options: HostServerOptions): Promise<HostServer> {
    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? 7411;
    const app = fastify({
      logger: false,
      bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
      // Refuse what a schema does not name instead of dropping it: a misspelt option must not pass
      // unseen. Coerce scalars (a query's `limit=5`), but never wrap a scalar into an array (`"args": "x"`).
      ajv: { customOptions: { removeAdditional: false, coerceTypes: true } },
    });
    const stream = new EventStream(runtime, options.events);
    const views = new ModuleViews(runtime);
    const metrics = options.metrics === false ? undefined : new HostMetrics(runtime);
    const routes: ServedRoute[] = [];
    app.addHook("onRoute", ({ method, url, schema }) => {
      for (const m of [method].flat()) routes.push({ method: m, url, hidden: schema?.hide === true });
    });
    try {
      // Before the plugins: a plugin's routes inherit the hooks and error handler there are when it registers.
      guard(app, new BearerToken(options.token));
      await app.register(swagger, {
        openapi: {
          // 3.1: its schemas are JSON Schema, as the routes' are (3.0 would reject `exclusiveMinimum: 0`).
          openapi: "3.1.0",
          info: {
            title: "Chipset host API",
            description: "The running host: modules, control, calls, updates, errors, events and probes.",
            version: "1.0.0",
          },
          components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
          security: [{ bearer: [] }],
        },
      });
      await app.register(swaggerUi, { routePrefix: "/docs" });
      registerModuleRoutes(app, runtime, views);
      registerHostRoutes(app, runtime, stream);
      if (options.onShutdown !== undefined) registerShutdownRoute(app, options.onShutdown);
      registerTriggerRoutes(app, runtime);
      if (metrics !== undefined) registerMetricsRoute(app, metrics, options.metrics || {});
      registerResourceRoutes(app, runtime);
      registerReplicaRoutes(app, runtime);
      registerEngineRoutes(app, runtime);
      registerSystemRoute(app, runtime);
      registerGraphRoute(app, runtime);
      if (options.dashboard !== false) registerDashboardRoutes(app, options.dashboard ?? {});
      registerLogRoutes(app, options.logs);
      registerModuleDetailRoutes(app, runtime);
      app.get("/openapi.json", { schema: { hide: true } }, () => app.swagger());
      app.addHook("preClose", (done) => {
        stream.dispose(); // open streams would hold the server's close forever
        done();
      });
      await app.listen({ host, port });
    } catch (err) {
      stream.dispose();
      views.dispose();
      metrics?.dispose();
      await app.close().catch(() => undefined);
      throw new ChipsetError(
        ErrorCodes.LISTEN_FAILED,
        `the host's HTTP API cannot listen on ${host}:${port}: ${err instanceof Error ? err.message : String(err)}; ` +
          `give another address with --http HOST:PORT (127.0.0.1:0 picks a free port)`,
        { cause: err, details: { host, port, reason: (err as { code?: unknown }).code ?? null } },
      );
    }
    const address = app.server.address();
    const bound = typeof address === "object" && address !== null ? address.port : port;
    return new HostServer(app, stream, views, metrics, runtime.clock, urlOf(host, bound), routes);
  }

  /**
   * Stops taking requests, ends the event streams, and resolves once the requests under way are
   * answered, or after `graceMs` (default 5 000 ms) when their connections are cut (a call or an
   * update that takes longer must not hold the host's shutdown). Idempotent.
   */
  close(graceMs = 5_000): Promise<void> {
    this.closing ??= (async () => {
      this.stream.dispose();
      this.views.dispose();
      this.metrics?.dispose();
      const closed = this.app.close();
      const server = this.app.server;
      await race(closed, { clock: this.clock, ms: graceMs, onTimeout: () => server.closeAllConnections() });
      await closed;
    })();
    return this.closing;
  }
}

/** The token check before every route but the public ones, and one error shape for every failure. */
function guard(app: FastifyInstance, token: BearerToken): void {
  app.addHook("onRequest", (request, _reply, done) => {
    if (request.routeOptions.config.public === true || token.accepts(request.headers.authorization))
      return done();
    done(
      new ChipsetError(
        ErrorCodes.UNAUTHORIZED,
        request.headers.authorization === undefined
          ? "this route needs `Authorization: Bearer <token>`; the token is in <data-dir>/host.json (or the --token-file the host was started with)"
          : "the bearer token is not this host's; read it again from <data-dir>/host.json (a restarted host has a new one)",
      ),
    );
  });
  // A POST without a body (`curl -X POST`) means every option left to its default.
  app.addHook("preValidation", (request, _reply, done) => {
    if (request.method === "POST" && request.body === undefined) request.body = {};
    done();
  });
  app.setErrorHandler((err: FastifyError | ChipsetError, _request, reply) => {
    const refusal = requestRefusal(err);
    const { status, body } = refusal ?? errorReply(err);
    if (status === 401) void reply.header("www-authenticate", 'Bearer realm="chipset"');
    return reply.code(status).type("application/json; charset=utf-8").send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ChipsetError(
      ErrorCodes.REQUEST_INVALID,
      `no route ${request.method} ${request.url.split("?")[0]}; the routes are listed at /openapi.json`,
    );
    return reply.code(404).send(error.toJSON());
  });
}

/**
 * Fastify's own refusals (a schema, a body too large, a content type it cannot read) as
 * `CHIP_ERR_REQUEST_INVALID`, keeping the 4xx status Fastify chose (413 for a body too large).
 */
function requestRefusal(err: FastifyError | ChipsetError): ErrorReply | undefined {
  if (err instanceof ChipsetError) return undefined;
  const status = err.validation !== undefined ? 400 : err.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  const error = new ChipsetError(
    ErrorCodes.REQUEST_INVALID,
    `the request is not valid: ${err.message}; the routes and their schemas are at /openapi.json`,
    {
      details: {
        status,
        reason: err.code,
        ...(err.validation === undefined ? {} : { errors: err.validation, part: err.validationContext }),
      },
    },
  );
  return { status, body: error.toJSON() };
}
