/**
 * The JSON schemas of the engine and replica routes (see docs/dispatch.md): the shapes of
 * `EnginePool` and `ReplicaSetView` (src/runtime/Engines.ts, Replicas.ts) and of
 * `DispatchExplanation` (src/dispatch/strategies/explain.ts). Every field is listed: the
 * serializer drops what a response schema does not name.
 */

const healthEnum = ["unknown", "healthy", "degraded", "unhealthy", "recovering"] as const;
const labelsSchema = {
  type: "object",
  additionalProperties: { type: "string" },
  description: "label name -> value",
} as const;
const strings = { type: "array", items: { type: "string" } } as const;

/** A `DispatchRequest` as JSON: what the engine must be and prefer, and the strategy for this request. */
export const dispatchRequestSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    type: { type: "string", minLength: 1, description: "the engine type (a hard filter), such as wasm" },
    capabilities: {
      type: "array",
      items: { type: "string", minLength: 1 },
      description: "capabilities the engine must have (capability strategy: a filter; score: 25%)",
    },
    key: {
      type: "string",
      description: "the key calls are hashed or kept sticky by (consistent_hash, affinity)",
    },
    labels: { ...labelsSchema, description: "labels preferred (affinity; score: 5%)" },
    strategy: {
      type: "string",
      minLength: 1,
      description: "the strategy for this request (default score), built in or registered by the application",
    },
  },
} as const;

const memberSchema = {
  type: "object",
  properties: {
    key: { type: "string", description: "the instance's address: id@version, #replica after the first" },
    id: { type: "string" },
    version: { type: "string" },
    replica: { type: "integer" },
    state: { type: "string" },
    health: { type: "string", enum: healthEnum },
    inRotation: {
      type: "boolean",
      description: "false while it is down, draining, ejected or unhealthy: no call goes to it",
    },
    capabilities: strings,
    labels: labelsSchema,
    weight: { type: "number" },
    maxConcurrent: { type: "integer" },
    inflight: { type: "integer", description: "calls in flight now" },
    load: {
      type: "number",
      description: "document 004's load factor, (maxConcurrent - inflight) / maxConcurrent, 0 to 1",
    },
    calls: { type: "integer", description: "calls it served since it was made" },
  },
} as const;

/** `GET /v1/engines`. */
export const enginesResponse = {
  type: "object",
  properties: {
    pools: {
      type: "array",
      items: {
        type: "object",
        description: "the live instances of every module whose engine.type is `type`",
        properties: {
          type: { type: "string" },
          members: { type: "array", items: memberSchema },
          queued: {
            type: "integer",
            description:
              "execute calls waiting for a member under its maxConcurrent (at most dispatch.maxQueue)",
          },
        },
      },
    },
  },
} as const;

/** `GET /v1/replicas`. */
export const replicasResponse = {
  type: "object",
  properties: {
    replicas: {
      type: "array",
      items: {
        type: "object",
        properties: {
          id: { type: "string" },
          version: { type: "string" },
          desired: {
            type: "integer",
            description: "replicas asked for (the manifest's min, or the last scale)",
          },
          current: { type: "integer", description: "replicas that exist now, in any state" },
          min: { type: "integer" },
          max: { type: "integer" },
          strategy: { type: "string" },
          members: {
            type: "array",
            description: "each replica, first to last",
            items: {
              type: "object",
              properties: {
                key: { type: "string", description: "id@version, #replica after the first" },
                replica: { type: "integer" },
                state: { type: "string" },
                pid: { type: "integer" },
                thread: { type: "integer", description: "its worker thread's id (0: a process replica)" },
                health: { type: "string", enum: healthEnum },
                reason: { type: "string", description: "why it is in that state" },
                inRotation: {
                  type: "boolean",
                  description: "false while it is down, draining, ejected or unhealthy: no call goes to it",
                },
                effectiveWeight: { type: "number", description: "its weight times its health factor" },
                inflight: { type: "integer" },
                meanMs: { type: "number", description: "mean time of its recent successful calls, ms" },
                errorRate: { type: "number", description: "failed share of its recent calls, 0 to 1" },
                ejections: { type: "integer", description: "times it was ejected since it joined" },
                calls: { type: "integer", description: "calls it served since it was made" },
              },
            },
          },
        },
      },
    },
  },
} as const;

const factors = {
  type: "object",
  properties: {
    type: { type: "number" },
    capability: { type: "number" },
    load: { type: "number" },
    performance: { type: "number" },
    affinity: { type: "number" },
  },
} as const;

const candidateSchema = {
  type: "object",
  properties: {
    key: { type: "string" },
    module: { type: "string" },
    engineType: { type: ["string", "null"] },
    health: { type: "string", enum: healthEnum },
    inflight: { type: "integer" },
    maxConcurrent: { type: "integer" },
    effectiveWeight: { type: "number", description: "its weight after health" },
    meanMs: { type: ["number", "null"], description: "its mean call time, ms; null before a call" },
    inRotation: { type: "boolean" },
    eligible: { type: "boolean", description: "whether the strategy could pick it" },
    excluded: {
      type: "array",
      description: "why it cannot be picked (empty when eligible)",
      items: {
        type: "object",
        properties: {
          reason: { type: "string", enum: ["not_in_rotation", "type_mismatch", "capability_missing"] },
          message: { type: "string" },
        },
      },
    },
    missingCapabilities: strings,
    score: {
      type: "object",
      description: "document 004's weighted score, factor by factor (each 0 to 1)",
      properties: {
        factors,
        weights: factors,
        total: {
          type: ["number", "null"],
          description: "sum(weight x factor) / sum(weights); null for an engine of another type",
        },
      },
    },
    picked: { type: "boolean" },
  },
} as const;

/** `POST /v1/dispatch/explain`. */
export const explanationResponse = {
  type: "object",
  properties: {
    strategy: { type: "string" },
    request: dispatchRequestSchema,
    picked: {
      type: ["string", "null"],
      description: "the key of the engine the strategy would pick now; null when none fits",
    },
    pickKnown: {
      type: "boolean",
      description: "false when the strategy cannot tell without picking (a registered one without peek)",
    },
    candidates: { type: "array", items: candidateSchema },
  },
} as const;

/** `POST /v1/execute`. */
export const executeBody = {
  type: "object",
  additionalProperties: false,
  required: ["request", "method"],
  properties: {
    request: dispatchRequestSchema,
    method: { type: "string", minLength: 1, description: "a method of the engines' api" },
    args: { type: "array", default: [], description: "the method's arguments (JSON values)" },
  },
} as const;

/** `{ key, method }` of `POST /v1/engines/{key}/calls/{method}`. */
export const engineCallParams = {
  type: "object",
  required: ["key", "method"],
  properties: {
    key: {
      type: "string",
      minLength: 1,
      description: "the engine instance: id@version, #replica after the first (URL-encoded: %23)",
    },
    method: { type: "string", minLength: 1 },
  },
} as const;
