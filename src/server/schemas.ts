/**
 * The JSON schemas of the host's API: requests are validated with them, responses serialised
 * with them, and `/openapi.json` is generated from them. Free-form parts (a manifest, an error's
 * details) are objects with `additionalProperties: true`.
 */

import { resourceSampleSchema } from "./sampleSchemas.js";

const anyObject = { type: "object", additionalProperties: true } as const;

/** A `ChipsetError` as JSON (`toJSON()`): what every failed request answers. */
export const errorSchema = {
  type: "object",
  description: "A ChipsetError as JSON; `code` is one of the stable CHIP_ERR_* codes of docs/errors.md",
  required: ["code", "message"],
  properties: {
    name: { type: "string" },
    code: { type: "string", pattern: "^CHIP_ERR_[A-Z_]+$" },
    category: { type: "string" },
    severity: { type: "string", enum: ["warning", "error", "fatal"] },
    transient: { type: "boolean" },
    message: { type: "string" },
    module: { type: "string" },
    details: anyObject,
    context: anyObject,
  },
} as const;

/** The error replies every authenticated route may give. */
export const errorResponses = {
  401: {
    ...errorSchema,
    description: "No bearer token, or not this host's (CHIP_ERR_UNAUTHORIZED, with WWW-Authenticate)",
  },
  "4xx": errorSchema,
  "5xx": errorSchema,
} as const;

const hostSchema = {
  type: "object",
  properties: {
    isolation: { type: "string", enum: ["inline", "worker", "process"] },
    pid: { type: "integer" },
    threadId: { type: "integer" },
  },
} as const;

const breakerSchema = {
  type: "object",
  description: "A circuit breaker of the module (or of one method) and its state",
  properties: {
    id: { type: "string" },
    method: { type: "string" },
    state: { type: "string", enum: ["closed", "open", "half-open", "isolated"] },
    retryAt: { type: "number", description: "open: when probes begin, ms on the runtime's clock" },
  },
} as const;

const liveInstanceSchema = {
  type: "object",
  properties: {
    version: { type: "string" },
    replica: {
      type: "integer",
      description:
        "which replica of the version: 0 for the first (or only) one, its address is id@version#replica after that",
    },
    state: { type: "string" },
    host: hostSchema,
    calls: { type: "integer" },
    uptimeMs: {
      type: "number",
      nullable: true,
      description: "since the last start or resume; null unless running or paused",
    },
    restarts: { type: "integer", description: "restarts after a crash since this host started" },
    resources: { ...resourceSampleSchema, nullable: true, description: "null until sampled" },
    failedCalls: {
      type: "integer",
      nullable: true,
      description:
        "calls of this version that failed by the module's doing since this host started; null before its first call or with anomaly detection off",
    },
    p99Ms: {
      type: "number",
      nullable: true,
      description: "99th percentile of its latest successful calls (up to 1 024 per method), ms",
    },
  },
} as const;

const summaryProperties = {
  id: { type: "string" },
  version: { type: "string" },
  kind: { type: "string" },
  description: { type: "string" },
  keywords: { type: "array", items: { type: "string" } },
  activation: { description: '"eager", "lazy" or { "onEvent": [...] }' },
  isolation: { type: "string", enum: ["inline", "worker", "process"] },
  source: { type: "string" },
  state: { type: "string", description: "the instance's lifecycle state, or registered" },
  ready: {
    type: "boolean",
    description: "false while a readiness probe holds it out of service or its startup probe has not passed",
  },
  breakers: { type: "array", items: breakerSchema },
} as const;

/** `GET /v1/modules` query: the filters of `chipset ls`. */
export const moduleListQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    kind: { type: "string", description: "only modules of this kind" },
    search: {
      type: "string",
      description: "only modules whose id, description or keywords match every word",
    },
  },
} as const;

/** `GET /v1/modules`. */
export const moduleListSchema = {
  type: "object",
  properties: {
    modules: {
      type: "array",
      items: {
        type: "object",
        properties: {
          ...summaryProperties,
          instance: { ...liveInstanceSchema, nullable: true },
          replicas: {
            type: "array",
            items: liveInstanceSchema,
            description:
              "every live replica of a replicated module, first replica first; empty for a module that runs one instance",
          },
        },
      },
    },
  },
} as const;

/** `GET /v1/modules/{ref}`. */
export const moduleDetailSchema = {
  type: "object",
  properties: {
    ...summaryProperties,
    versions: { type: "array", items: { type: "string" } },
    manifest: anyObject,
    dir: { type: "string", nullable: true },
    entry: { type: "string", nullable: true },
    digest: { type: "string", nullable: true },
    installedAt: { type: "number" },
    dependencies: { type: "array", items: anyObject },
    dependents: { type: "array", items: anyObject },
    instance: { ...anyObject, nullable: true },
    crashes: { type: "array", items: anyObject },
    instances: { type: "array", items: liveInstanceSchema },
  },
} as const;

/** `{ ref }` of the module routes: `id`, `id@version` or `id@range` (URL-encoded). */
export const refParams = {
  type: "object",
  required: ["ref"],
  properties: { ref: { type: "string", minLength: 1 } },
} as const;

/** The control actions of `POST /v1/modules/{ref}/{action}`. */
export const controlActions = ["load", "start", "stop", "pause", "resume", "restart", "unload"] as const;

/** One of {@link controlActions}. */
export type ControlAction = (typeof controlActions)[number];

export const controlParams = {
  type: "object",
  required: ["ref", "action"],
  properties: { ref: { type: "string", minLength: 1 }, action: { type: "string", enum: controlActions } },
} as const;

export const controlBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    cascade: {
      type: "boolean",
      description: "stop, unload, restart: stop running dependents first (else they refuse with 409)",
    },
  },
} as const;

export const controlResponse = {
  type: "object",
  properties: {
    id: { type: "string" },
    version: { type: "string" },
    action: { type: "string" },
    state: { type: "string", description: "the module's state after the action" },
    instance: {
      ...liveInstanceSchema,
      nullable: true,
      description:
        "its live instance after the action (host, pid: a restarted process module has a new one), or null",
    },
  },
} as const;

export const callParams = {
  type: "object",
  required: ["ref", "method"],
  properties: { ref: { type: "string", minLength: 1 }, method: { type: "string", minLength: 1 } },
} as const;

export const callBody = {
  type: "object",
  additionalProperties: false,
  properties: { args: { type: "array", default: [], description: "the method's arguments (JSON values)" } },
} as const;

export const callResponse = {
  type: "object",
  properties: { result: { description: "what the method returned (null for undefined)" } },
} as const;

const canarySchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    percent: { type: "number", exclusiveMinimum: 0, maximum: 100 },
    durationMs: { type: "integer", minimum: 0 },
    maxErrorRate: { type: "number", minimum: 0, maximum: 1 },
    maxP99Ms: { type: "number", minimum: 0 },
  },
} as const;

const updateTimings = {
  drainTimeoutMs: {
    type: "integer",
    minimum: 0,
    description: "how long in-flight calls may finish at the switch, ms",
  },
  graceMs: { type: "integer", minimum: 0, description: "how long a crash rolls the new version back, ms" },
} as const;

/** `POST /v1/modules/{id}/update`: the JSON options of `runtime.update`. */
export const updateBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    from: { type: "string", description: "a module directory or .tgz on the host's machine" },
    version: { type: "string", description: "the version or range wanted" },
    integrity: { type: "string", description: "an SRI string the package must match" },
    registry: { type: "string", description: "an npm registry URL to fetch from" },
    ...updateTimings,
    strategy: { type: "string", enum: ["blue-green", "canary"] },
    canary: canarySchema,
  },
} as const;

/** `POST /v1/modules/{id}/rollback`. */
export const rollbackBody = {
  type: "object",
  additionalProperties: false,
  properties: updateTimings,
} as const;

/** An `UpdateReport`. */
export const updateReportSchema = {
  type: "object",
  additionalProperties: true,
  properties: {
    id: { type: "string" },
    from: { type: "string", nullable: true },
    to: { type: "string", nullable: true },
    outcome: { type: "string", enum: ["completed", "installed", "unchanged", "rolled-back", "failed"] },
    steps: { type: "array", items: anyObject },
    durationMs: { type: "number" },
  },
} as const;

/** `GET /v1/errors` query. */
export const errorsQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    id: { type: "string", description: "only this module id" },
    code: { type: "string", description: "only this CHIP_ERR_* code (of the recent ones)" },
    limit: { type: "integer", minimum: 1, maximum: 500, default: 50 },
  },
} as const;

export const errorsResponse = {
  type: "object",
  properties: {
    recent: { type: "array", items: anyObject },
    counts: {
      type: "object",
      properties: { byCode: anyObject, byModule: anyObject, total: { type: "integer" } },
    },
  },
} as const;

export const livezResponse = { type: "object", properties: { ok: { type: "boolean" } } } as const;

export const startupzResponse = {
  type: "object",
  properties: { ok: { type: "boolean" }, phase: { type: "string" } },
} as const;

export const readyzResponse = {
  type: "object",
  properties: {
    ready: { type: "boolean" },
    phase: { type: "string" },
    notReady: {
      type: "array",
      items: {
        type: "object",
        properties: {
          id: { type: "string" },
          version: { type: "string", nullable: true },
          state: { type: "string" },
          reason: { type: "string" },
        },
      },
    },
  },
} as const;

/** `POST /v1/shutdown`: no options. */
export const shutdownBody = {
  type: "object",
  additionalProperties: false,
  properties: {},
} as const;

export const shutdownResponse = {
  type: "object",
  required: ["pid", "stopping"],
  properties: {
    pid: { type: "integer", description: "the host's process id; it exits once its modules have stopped" },
    stopping: { type: "boolean", description: "always true: the shutdown has begun (or had already)" },
  },
} as const;
