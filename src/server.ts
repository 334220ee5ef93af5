/**
 * The running host's HTTP API for applications that embed Chipset: serve a runtime's modules,
 * control, calls, updates, errors, events, probes and Prometheus metrics, as `chipset start` does.
 */
export { serveHost, type ServeHostOptions, type ServedHost } from "./server/serveHost.js";
export { HostServer, DEFAULT_BODY_LIMIT, type HostServerOptions } from "./server/HostServer.js";
export type { EventStreamOptions } from "./server/EventStream.js";
export type { MetricsOptions } from "./server/metricsRoute.js";
export type { LogLine, LogsOptions } from "./server/logRoutes.js";
export { hostFilePath, readHostFile, type HostFile } from "./server/hostFile.js";
