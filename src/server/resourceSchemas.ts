/** The JSON schemas of the resource history and report routes (see schemas.ts for the others). */

const instant = {
  type: "string",
  description:
    "a duration back from now (`15m`, `24h`, `7d`), an ISO 8601 time (`2026-12-07T10:00:00Z`) or ms since the epoch",
} as const;

const nullableNumber = { type: "number", nullable: true } as const;

const statsSchema = {
  type: "object",
  nullable: true,
  description: "one resource over the period, in its unit; null where the module has no such figure",
  properties: {
    avg: { type: "number" },
    peak: { type: "number" },
    p95: {
      type: "number",
      description: "nearest rank; a minute's roll-up stands for its samples by its average",
    },
    slopePerHour: { type: "number", description: "least-squares slope of the period's points, per hour" },
    trend: { type: "string", enum: ["rising", "flat", "falling"] },
  },
} as const;

const topSchema = {
  type: "array",
  items: {
    type: "object",
    properties: { module: { type: "string" }, avg: { type: "number" }, peak: { type: "number" } },
  },
} as const;

/** `GET /v1/report` query. */
export const reportQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    since: { ...instant, default: "24h" },
    until: { ...instant, description: `${instant.description}; default now` },
    module: { type: "string", minLength: 1, description: "only this module: `id` or `id@version`" },
  },
} as const;

/** `GET /v1/report`: a `ResourceReport`. */
export const reportResponse = {
  type: "object",
  properties: {
    since: { type: "number", description: "ms since the epoch, included" },
    until: { type: "number", description: "ms since the epoch, not included" },
    module: { type: "string", nullable: true },
    modules: {
      type: "array",
      items: {
        type: "object",
        properties: {
          id: { type: "string" },
          version: { type: "string" },
          samples: { type: "integer" },
          cpuPercent: statsSchema,
          memoryBytes: statsSchema,
          diskBps: statsSchema,
          networkBps: statsSchema,
          restarts: { type: "integer" },
          errors: { type: "integer" },
        },
      },
    },
    machine: {
      type: "object",
      nullable: true,
      description:
        "the machine beside the modules: CPU in % of all its CPUs, memory used in bytes, network bytes per second (every interface but loopback)",
      properties: {
        samples: { type: "integer" },
        cpuPercent: statsSchema,
        memoryBytes: statsSchema,
        networkBps: statsSchema,
      },
    },
    top: {
      type: "object",
      properties: {
        cpuPercent: topSchema,
        memoryBytes: topSchema,
        diskBps: topSchema,
        networkBps: topSchema,
      },
    },
    restarts: { type: "integer" },
    errors: { type: "integer" },
    trendThreshold: { type: "number" },
  },
} as const;

/** `GET /v1/modules/{ref}/resources` query. */
export const historyQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    since: { ...instant, default: "1h" },
    until: { ...instant, description: `${instant.description}; default: no end` },
  },
} as const;

/** `GET /v1/modules/{ref}/resources`: `ResourcePoint`s, oldest first. */
export const historyResponse = {
  type: "object",
  properties: {
    points: {
      type: "array",
      items: {
        type: "object",
        properties: {
          id: { type: "string" },
          version: { type: "string" },
          at: {
            type: "number",
            description: "raw: the end of the sample's interval; minute: its start (ms since the epoch)",
          },
          resolution: { type: "string", enum: ["raw", "minute"] },
          samples: { type: "integer" },
          cpuPercent: nullableNumber,
          cpuPercentMax: nullableNumber,
          memoryBytes: nullableNumber,
          memoryBytesMax: nullableNumber,
          diskBps: { type: "number" },
          diskBpsMax: { type: "number" },
          networkBps: { type: "number" },
          networkBpsMax: { type: "number" },
          calls: {
            type: "integer",
            nullable: true,
            description:
              "calls served over the point (raw: its interval; minute: the whole minute), a count; null in history kept before calls were",
          },
          failures: {
            type: "integer",
            nullable: true,
            description:
              "calls that failed by the module's doing over the point; null without anomaly detection",
          },
          p99Ms: {
            type: "number",
            nullable: true,
            description:
              "p99 of the successful calls' latencies, in ms (minute: the average of its samples' p99s); null without calls",
          },
          p99MsMax: {
            type: "number",
            nullable: true,
            description: "the highest of the samples' p99s, in ms",
          },
        },
      },
    },
  },
} as const;
