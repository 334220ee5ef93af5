import { TRIGGER_HTTP_METHODS } from "../vocabulary/triggers.js";
import { closed, count, delay, ms } from "./schemaParts.js";

/** One probe of `probes`; `successThreshold` may exceed 1 only for readiness (as in Kubernetes). */
const probeSchema = (name: "liveness" | "readiness" | "startup") =>
  closed(
    `an object such as { "method": "ping", "periodMs": 10000, "timeoutMs": 1000, "failureThreshold": 3 } or { "health": true }`,
    {
      method: { type: "string", minLength: 1, expected: "the name of a method of the module's api" },
      health: { const: true, expected: "true (the module's health() is the probe)" },
      initialDelayMs: delay("the time from running to the first probe"),
      periodMs: ms("the time between probes"),
      timeoutMs: ms("the time a probe has to answer"),
      failureThreshold: count("failures in a row that fail the probe", 1),
      successThreshold:
        name === "readiness"
          ? count("passes in a row that pass it again", 1)
          : { const: 1, expected: `1 (a ${name} probe passes on one success, as in Kubernetes)` },
    },
  );

/** The `probes` section: liveness, readiness and startup. */
export const probesSchema = closed(
  'an object such as { "liveness": { "method": "ping" }, "readiness": { "health": true } }',
  { liveness: probeSchema("liveness"), readiness: probeSchema("readiness"), startup: probeSchema("startup") },
);

/** Most entries in `triggers`. */
export const MAX_TRIGGERS = 100;

const TRIGGER_CALL = {
  type: "string",
  minLength: 1,
  maxLength: 200,
  expected: "the name of a method of the module's api",
};

const CRON_TRIGGER = 'a cron trigger such as { "cron": "*/5 * * * *", "call": "sweep" }';
const HTTP_TRIGGER =
  'an HTTP trigger such as { "http": { "method": "POST", "path": "/hooks/ingest" }, "call": "ingest" }';

/** The `triggers` section: cron schedules and HTTP routes (the cron expressions are parsed by `triggerProblems`). */
export const triggersSchema = {
  type: "array",
  maxItems: MAX_TRIGGERS,
  expected: `an array of at most ${MAX_TRIGGERS} triggers, each ${CRON_TRIGGER} or ${HTTP_TRIGGER}`,
  items: {
    expected: `${CRON_TRIGGER} or ${HTTP_TRIGGER}`,
    if: { type: "object", properties: { cron: true }, required: ["cron"] },
    then: {
      ...closed(CRON_TRIGGER, {
        cron: {
          type: "string",
          minLength: 1,
          maxLength: 200,
          expected: 'a cron expression of 5 fields (or 6, seconds first) such as "*/5 * * * *"',
        },
        call: TRIGGER_CALL,
      }),
      required: ["cron", "call"],
    },
    else: {
      ...closed(HTTP_TRIGGER, {
        http: {
          ...closed('an object such as { "method": "POST", "path": "/hooks/ingest" }', {
            method: {
              enum: [...TRIGGER_HTTP_METHODS],
              expected: TRIGGER_HTTP_METHODS.map((m) => `"${m}"`).join(", "),
            },
            path: {
              type: "string",
              maxLength: 200,
              pattern: "^(/[A-Za-z0-9._~-]+)+$",
              expected:
                'a path such as "/hooks/ingest": "/"-separated segments of letters, digits, ".", "_", "~" and "-"',
            },
          }),
          required: ["method", "path"],
        },
        call: TRIGGER_CALL,
      }),
      required: ["http", "call"],
    },
  },
} as const;
