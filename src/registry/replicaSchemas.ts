import { renderValue } from "../common/renderValue.js";
import type { SchemaProblem } from "./describeSchemaErrors.js";
import { closed, count, fraction, MAX_TIMER_MS, ms } from "./schemaParts.js";

/**
 * The JSON Schemas of the manifest's `replicas` and `engine` sections (see docs/dispatch.md), and
 * the checks across fields the schema cannot say plainly.
 */

/** The most replicas one module may run on one host. */
export const MAX_REPLICAS = 256;

const STRATEGY_NAME = "^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$";
const ENGINE_TYPE = "^[a-z][a-z0-9]*(?:[-._][a-z0-9]+)*$";
const replicaCount = (what: string) => ({
  type: "integer",
  minimum: 1,
  maximum: MAX_REPLICAS,
  expected: `${what}: a whole number from 1 to ${MAX_REPLICAS}`,
});
const percent = (what: string) => ({
  type: "number",
  minimum: 0,
  maximum: 100,
  expected: `${what}: a percentage from 0 to 100`,
});
const positive = (what: string) => ({
  type: "number",
  exclusiveMinimum: 0,
  expected: `${what}: a positive number`,
});
const window = (what: string) => ({
  type: "integer",
  minimum: 0,
  maximum: MAX_TIMER_MS,
  expected: `${what}: a non-negative integer number of milliseconds`,
});

const scalingRules = (direction: string) =>
  closed(
    `the ${direction} rules, an object such as { "stabilizationWindowMs": 300000, "policies": [{ "type": "replicas", "value": 1, "periodMs": 60000 }], "selectPolicy": "max", "cooldownMs": 60000 }`,
    {
      stabilizationWindowMs: window("the stabilisation window"),
      policies: {
        type: "array",
        minItems: 1,
        maxItems: 10,
        expected: 'an array of policies such as [{ "type": "percent", "value": 100, "periodMs": 15000 }]',
        items: {
          type: "object",
          additionalProperties: false,
          required: ["type", "value", "periodMs"],
          expected: 'a policy such as { "type": "replicas", "value": 4, "periodMs": 15000 }',
          properties: {
            type: { enum: ["replicas", "percent"], expected: '"replicas" or "percent"' },
            value: count("how many replicas (or percent) the policy allows per period", 1),
            periodMs: ms("the policy's period"),
          },
        },
      },
      selectPolicy: { enum: ["max", "min", "disabled"], expected: '"max", "min" or "disabled"' },
      cooldownMs: window("the cooldown after a change"),
    },
  );

/** `chipset.replicas`. */
export const replicasSchema = closed('an object such as { "min": 2, "max": 8, "strategy": "least_loaded" }', {
  min: replicaCount("the replicas started, and the fewest it scales down to"),
  max: replicaCount("the most replicas"),
  strategy: {
    type: "string",
    pattern: STRATEGY_NAME,
    maxLength: 64,
    expected:
      'a strategy name: "round_robin", "least_loaded", "weighted_random", "capability", "affinity", "consistent_hash", "score", or one the application registers',
  },
  hash: closed('an object such as { "algorithm": "maglev", "loadFactor": 1.25 }', {
    algorithm: { enum: ["ring", "maglev"], expected: '"ring" or "maglev"' },
    loadFactor: {
      anyOf: [{ const: 0 }, { type: "number", minimum: 1, maximum: 100 }],
      expected: "0 (unbounded) or a factor of the mean load from 1 to 100, such as 1.25",
    },
  }),
  keyArg: {
    type: "integer",
    minimum: 0,
    maximum: 64,
    expected:
      "the position of the argument that keys a call (0: the first), for consistent_hash and affinity",
  },
  activeRequestBias: {
    type: "number",
    minimum: 0,
    maximum: 10,
    expected: "Envoy's active_request_bias: a number from 0 to 10 (1: weight / (in flight + 1))",
  },
  health: closed('an object such as { "failureThreshold": 5, "baseEjectionMs": 30000 }', {
    failureThreshold: count("consecutive failures that make a replica unhealthy", 1),
    successThreshold: count("consecutive successes that make a recovering replica healthy", 1),
    degradedLatencyMs: ms("the mean call time over which a replica is degraded"),
    degradedErrorRate: fraction("the failed share of calls over which a replica is degraded"),
    degradedWeight: fraction("the weight factor of a degraded replica"),
    intervalMs: ms("how often success rates are compared"),
    baseEjectionMs: ms("the first ejection time"),
    maxEjectionMs: ms("the longest ejection time"),
    maxEjectedPercent: percent("the most replicas ejected at once"),
    successRateRequestVolume: count("calls a replica needs in an interval for its success rate to count", 1),
    successRateMinimumHosts: count("replicas with enough calls before success rates are compared", 1),
    successRateStdevFactor: positive("how many standard deviations below the mean success rate ejects"),
    panicThreshold: percent("the share of healthy replicas below which every replica serves"),
    memoryRiseSamples: count(
      "memory samples in a row that rise before a replica is drained and restarted (0: off)",
      0,
    ),
  }),
  autoscale: {
    ...closed('an object such as { "metric": "inflight", "target": 8 }', {
      metric: {
        enum: ["inflight", "cpu", "elu", "queue"],
        expected: '"inflight", "cpu", "elu" or "queue"',
      },
      target: positive("the metric's target per replica"),
      tolerance: fraction("the band around the target where nothing changes"),
      scaleUp: scalingRules("scale-up"),
      scaleDown: scalingRules("scale-down"),
      flapBudget: {
        ...closed('an object such as { "changes": 4, "windowMs": 600000 }', {
          changes: count("changes of direction allowed in the window", 1),
          windowMs: ms("the flap budget's window"),
        }),
        required: ["changes", "windowMs"],
      },
    }),
    required: ["metric", "target"],
  },
  drainTimeoutMs: ms("how long a leaving replica may finish its calls"),
});

/** `chipset.engine`. */
export const engineSchema = {
  ...closed('an object such as { "type": "wasm", "capabilities": ["contract.execute"] }', {
    type: {
      type: "string",
      pattern: ENGINE_TYPE,
      maxLength: 64,
      expected:
        'an engine type such as "wasm" or "onnx": lowercase letters and digits, words joined by "-", "." or "_"',
    },
    capabilities: {
      type: "array",
      uniqueItems: true,
      maxItems: 256,
      items: { type: "string", minLength: 1, maxLength: 128 },
      expected: 'an array of capability names such as ["contract.execute", "simd"]',
    },
    labels: {
      type: "object",
      maxProperties: 64,
      additionalProperties: { type: "string", maxLength: 256 },
      expected: 'an object of string labels such as { "zone": "a" }',
    },
    performance: closed('an object such as { "weight": 2, "maxConcurrent": 16 }', {
      weight: {
        type: "number",
        exclusiveMinimum: 0,
        maximum: 1000,
        expected: "a relative weight above 0, at most 1000",
      },
      maxConcurrent: count("calls at once the engine is sized for", 1),
    }),
    wasm: closed('an object such as { "timeLimitMs": 1000, "memoryMb": 64 }', {
      timeLimitMs: ms("the per-call time limit"),
      memoryMb: {
        type: "integer",
        minimum: 1,
        maximum: 65536,
        expected: "a whole number of MiB from 1 to 65536",
      },
    }),
  }),
  required: ["type"],
};

/**
 * What the schema cannot say plainly about `replicas`: replicas need a worker or process host
 * (an inline module shares the runtime's thread, so a second copy adds nothing but state to keep
 * in step), and `min` may not exceed `max`. Run only on sections the schema accepted.
 */
export function replicaProblems(chipset: Readonly<Record<string, unknown>> | undefined): SchemaProblem[] {
  const replicas = chipset?.replicas;
  if (typeof replicas !== "object" || replicas === null) return [];
  const problems: SchemaProblem[] = [];
  const isolation = chipset?.isolation ?? "inline";
  if (isolation === "inline") {
    const expected = '"isolation": "worker" or "process" (each replica runs in a host of its own)';
    problems.push({
      field: "chipset.replicas",
      expected,
      found: `"isolation": ${renderValue(isolation)}`,
      message: `"chipset.replicas" needs a worker or process module, but this one runs inline; set ${expected}, or remove "replicas"`,
    });
  }
  const { min, max } = replicas as { min?: number; max?: number };
  if (min !== undefined && max !== undefined && min > max) {
    const expected = `"max" at least "min" (${min})`;
    problems.push({
      field: "chipset.replicas.max",
      expected,
      found: renderValue(max),
      message: `"chipset.replicas.max" is ${max}, fewer than "min" (${min}); expected ${expected}`,
    });
  }
  return problems;
}
