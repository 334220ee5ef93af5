/**
 * Building blocks of the manifest's JSON Schema: each node carries an `expected` annotation (a
 * registered no-op keyword) that error messages quote verbatim.
 */

/** The longest wait a timer takes, in ms: setTimeout overflows (and fires at once) above 2^31 - 1. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A positive number of milliseconds a timer can wait. */
export const ms = (what: string) => ({
  type: "integer",
  minimum: 1,
  maximum: MAX_TIMER_MS,
  expected: `${what}: a positive integer number of milliseconds (at most ${MAX_TIMER_MS})`,
});

/** An object with exactly `properties` (unknown keys refused). */
export const closed = (expected: string, properties: Record<string, object>) => ({
  type: "object",
  additionalProperties: false,
  expected,
  properties,
});

/** `false`, or an object of the given shape (a policy turned off, or its settings). */
export const offOr = (what: string, example: string, properties: Record<string, object>) => {
  const expected = `false (no ${what}) or an object such as ${example}`;
  return {
    expected,
    if: { type: "boolean" },
    then: { const: false, expected },
    else: closed(expected, properties),
  };
};

/** An integer count from `minimum` to 1 000 000. */
export const count = (what: string, minimum: number) => ({
  type: "integer",
  minimum,
  maximum: 1_000_000,
  expected: `${what}: an integer from ${minimum} to 1000000`,
});

/** A number from 0 to 1. */
export const fraction = (what: string) => ({
  type: "number",
  minimum: 0,
  maximum: 1,
  expected: `${what}: a number from 0 to 1`,
});

/** A non-negative number of milliseconds a timer can wait. */
export const delay = (what: string) => ({
  type: "integer",
  minimum: 0,
  maximum: MAX_TIMER_MS,
  expected: `${what}: a non-negative integer number of milliseconds (at most ${MAX_TIMER_MS})`,
});

/** The resource limits and thresholds a manifest's `limits` and the config's `resources.limits` share. */
export const resourceLimitProperties = {
  memoryMb: { type: "number", exclusiveMinimum: 0, expected: "a positive number of megabytes" },
  cpuPercent: {
    type: "number",
    exclusiveMinimum: 0,
    expected: "a positive percentage of one CPU (100 = one core)",
  },
  diskMbPerMin: {
    type: "number",
    exclusiveMinimum: 0,
    expected: "a positive number of megabytes read and written through node:fs per minute",
  },
  networkMbPerMin: {
    type: "number",
    exclusiveMinimum: 0,
    expected: "a positive number of megabytes received and sent over the network per minute",
  },
  warnAt: {
    type: "number",
    exclusiveMinimum: 0,
    maximum: 1,
    expected: "the fraction of a limit at which resource.warning is emitted: more than 0, at most 1",
  },
  action: {
    enum: ["warn", "restart", "stop"],
    expected: 'what a limit held for two samples does: "warn", "restart" or "stop"',
  },
};
