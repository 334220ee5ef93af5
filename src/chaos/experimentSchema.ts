import { callsSchema } from "../registry/manifestSchema.js";

/**
 * The JSON Schema of an experiment file (see Experiment.ts). Every node carries an `expected`
 * annotation that error messages quote, as the manifest schema does.
 */

const MAX_MS = 2_147_483_647;
const ms = (what: string, minimum = 0) => ({
  type: "integer",
  minimum,
  maximum: MAX_MS,
  expected: `${what}: an integer number of milliseconds from ${minimum}`,
});
const closed = (expected: string, properties: Record<string, object>, required: string[] = []) => ({
  type: "object",
  additionalProperties: false,
  required,
  expected,
  properties,
});
const text = (expected: string) => ({ type: "string", minLength: 1, expected });
const CALL = 'a call such as "codec.probe" (module id, a dot, the method)';
const call = { type: "string", pattern: "^(?:@[^/]+/)?[^.@/]+\\.[A-Za-z_$][\\w$]*$", expected: CALL };

const latency = {
  expected:
    'a delay in ms (a number), or { "uniform": { "minMs", "maxMs" } }, { "normal": { "meanMs", "sdMs" } }, { "exponential": { "meanMs" } }',
  anyOf: [
    { type: "number", minimum: 0 },
    closed(
      "a uniform delay",
      { uniform: closed("{ minMs, maxMs }", { minMs: ms("minMs"), maxMs: ms("maxMs") }, ["minMs", "maxMs"]) },
      ["uniform"],
    ),
    closed(
      "a normal delay",
      { normal: closed("{ meanMs, sdMs }", { meanMs: ms("meanMs"), sdMs: ms("sdMs") }, ["meanMs", "sdMs"]) },
      ["normal"],
    ),
    closed(
      "an exponential delay",
      { exponential: closed("{ meanMs }", { meanMs: ms("meanMs", 1) }, ["meanMs"]) },
      ["exponential"],
    ),
  ],
};

const KINDS = ["latency", "error", "hang", "crash", "leak", "slow-hook", "failing-hook"];
const HOOKS = ["load", "init", "start", "pause", "resume", "stop"];
const hook = { enum: HOOKS, expected: `one of ${HOOKS.join(", ")}` };

const fault = {
  type: "object",
  required: ["kind"],
  expected: 'a fault such as { "kind": "error", "target": { "module": "codec" }, "percent": 30 }',
  properties: {
    kind: { enum: KINDS, expected: `one of ${KINDS.join(", ")}` },
    name: text("a name for reports"),
    target: closed('a target such as { "module": "codec", "method": "probe" }', {
      module: text("a module id"),
      version: text('a version or semver range such as "^2.0.0"'),
      method: text("a method name"),
      host: { enum: ["inline", "worker", "process"], expected: '"inline", "worker" or "process"' },
    }),
    percent: { type: "number", minimum: 0, maximum: 100, expected: "a percentage from 0 to 100" },
    startMs: ms("when the fault begins, from the start of the fault phase"),
    endMs: ms("when the fault ends, from the start of the fault phase"),
    everyMs: ms("the interval between crashes", 1),
    latencyMs: latency,
    message: text("the error message"),
    mbPerSecond: { type: "number", exclusiveMinimum: 0, maximum: 1024, expected: "MB per second, above 0" },
    hook,
  },
  additionalProperties: false,
  allOf: [
    { if: { properties: { kind: { const: "latency" } } }, then: { required: ["latencyMs"] } },
    { if: { properties: { kind: { const: "leak" } } }, then: { required: ["mbPerSecond"] } },
    { if: { properties: { kind: { const: "slow-hook" } } }, then: { required: ["hook", "latencyMs"] } },
    { if: { properties: { kind: { const: "failing-hook" } } }, then: { required: ["hook"] } },
    {
      if: { required: ["everyMs"] },
      then: {
        properties: { kind: { const: "crash", expected: '"crash" (only crashes repeat every everyMs)' } },
      },
    },
  ],
};

const METRICS = [
  "successRate",
  "fallbackRate",
  "count",
  "p50Ms",
  "p95Ms",
  "p99Ms",
  "maxMs",
  "breakerOpened",
  "restarts",
  "crashes",
  "anomalies",
];
const STATES = ["closed", "open", "half-open", "isolated"];
const check = {
  type: "object",
  expected: `a check such as { "metric": "successRate", "min": 0.99 } or { "breaker": { "module": "codec" }, "state": "closed" }`,
  if: { required: ["breaker"] },
  then: closed(
    '{ "breaker": { "module": "...", "method": "..." }, "state": "closed" }',
    {
      breaker: closed(
        '{ "module": "codec", "method": "probe" }',
        { module: text("a module id"), method: text("a method") },
        ["module"],
      ),
      state: { enum: STATES, expected: `one of ${STATES.join(", ")}` },
    },
    ["breaker", "state"],
  ),
  else: {
    ...closed(
      '{ "metric": "successRate", "min": 0.99 }',
      {
        metric: { enum: METRICS, expected: `one of ${METRICS.join(", ")}` },
        call,
        code: {
          type: "string",
          pattern: "^CHIP_ERR_[A-Z_]+$",
          expected: "an error code such as CHIP_ERR_BREAKER_OPEN",
        },
        module: text("a module id"),
        min: { type: "number", expected: "a number" },
        max: { type: "number", expected: "a number" },
      },
      ["metric"],
    ),
    anyOf: [{ required: ["min"] }, { required: ["max"] }],
  },
};
const checks = (phase: string) => ({
  type: "array",
  items: check,
  expected: `the checks of ${phase}: an array`,
});

const ACTIONS = ["restart", "start", "resume", "reset-policies"];

/** The schema of an experiment file. */
export const experimentSchema = closed(
  "an experiment: { name, durationMs, load, faults, hypothesis, ... } (see docs/chaos.md)",
  {
    name: text("the experiment's name"),
    description: { type: "string", expected: "a description" },
    seed: {
      type: "integer",
      minimum: 0,
      maximum: 4294967295,
      expected: "a seed: an integer from 0 to 4294967295",
    },
    durationMs: ms("the length of the fault phase", 1),
    steadyMs: ms("the length of the steady phases before and after", 1),
    start: { type: "array", items: text("a module id"), expected: "module ids to start first" },
    load: {
      type: "array",
      minItems: 1,
      expected:
        'an array of loads such as [{ "call": "codec.probe", "args": ["media/clip.cvf"], "rate": 200 }]',
      items: {
        ...closed(
          '{ "call": "codec.probe", "args": [...], "rate": 200 } or { ..., "concurrency": 4 }',
          {
            call,
            args: { type: "array", expected: "the arguments of each call: an array" },
            rate: {
              type: "number",
              exclusiveMinimum: 0,
              maximum: 100_000,
              expected: "calls per second, above 0",
            },
            concurrency: {
              type: "integer",
              minimum: 1,
              maximum: 1000,
              expected: "callers: an integer from 1 to 1000",
            },
          },
          ["call"],
        ),
        oneOf: [{ required: ["rate"] }, { required: ["concurrency"] }],
      },
    },
    policies: {
      type: "object",
      expected: 'call policies by module id, such as { "codec": { "timeoutMs": 100 } }',
      additionalProperties: callsSchema,
    },
    faults: { type: "array", items: fault, expected: "an array of faults" },
    hypothesis: closed("the hypothesis: { steadyState, before, during, after }, each an array of checks", {
      steadyState: checks("steady state (before and after)"),
      before: checks("the steady phase before"),
      during: checks("the fault phase"),
      after: checks("the steady phase after"),
    }),
    rollbacks: {
      type: "array",
      expected: 'an array of actions such as [{ "action": "restart", "module": "codec" }]',
      items: closed(
        '{ "action": "restart", "module": "codec" }',
        { action: { enum: ACTIONS, expected: `one of ${ACTIONS.join(", ")}` }, module: text("a module id") },
        ["action", "module"],
      ),
    },
  },
  ["name", "durationMs", "load", "faults", "hypothesis"],
);
