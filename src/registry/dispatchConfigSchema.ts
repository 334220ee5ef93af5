import { closed, delay, MAX_TIMER_MS, ms } from "./schemaParts.js";

/** The config file's `dispatch` section (document 004's manager settings; see docs/dispatch.md). */
export const dispatchConfigSchema = closed(
  'an object such as { "strategy": "score", "defaultEngineType": "wasm", "maxEngines": 8, "maxQueue": 1000, "requestTimeoutMs": 5000 }',
  {
    strategy: {
      type: "string",
      pattern: "^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$",
      maxLength: 64,
      expected: 'a strategy name such as "score", "round_robin" or "least_loaded"',
    },
    defaultEngineType: {
      type: "string",
      pattern: "^[a-z][a-z0-9]*(?:[-._][a-z0-9]+)*$",
      maxLength: 64,
      expected: 'an engine type such as "wasm"',
    },
    maxEngines: {
      type: "integer",
      minimum: 0,
      maximum: 100_000,
      expected: "the most engine instances live at once: an integer from 0 (no limit) to 100000",
    },
    startTimeoutMs: ms("how long a pool may take to start"),
    stopTimeoutMs: ms("how long a leaving replica or engine may take to finish its calls"),
    maxQueue: {
      type: "integer",
      minimum: 0,
      maximum: 1_000_000,
      expected: "calls held per pool while every engine is busy: an integer from 0 to 1000000",
    },
    requestTimeoutMs: {
      ...delay("the longest an execute call may take"),
      expected: `the longest an execute call may take: 0 (none) or an integer number of milliseconds (at most ${MAX_TIMER_MS})`,
    },
  },
);
