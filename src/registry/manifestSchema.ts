import semver from "semver";
import type { Ajv } from "ajv";
import { isTimeZone } from "../common/timeZone.js";
import { parseModuleRef } from "../vocabulary/moduleRef.js";
import { probesSchema, triggersSchema } from "./probeTriggerSchemas.js";
import { engineSchema, replicasSchema } from "./replicaSchemas.js";
import { placementSchema } from "./placementSchema.js";
import {
  closed,
  count,
  delay,
  fraction,
  MAX_TIMER_MS,
  ms,
  offOr,
  resourceLimitProperties,
} from "./schemaParts.js";

/**
 * The JSON Schema (draft-07) of a module's package.json as Chipset reads it. Every node carries an
 * `expected` annotation (a registered no-op keyword) that error messages quote verbatim.
 */

/** Longest npm package name, in characters. */
export const MAX_PACKAGE_NAME_LENGTH = 214;

// npm's rules for new packages: lowercase, URL-safe, no leading "." or "_", optional @scope/.
const PACKAGE_NAME = /^(?:@[a-z0-9-][a-z0-9._-]*\/)?[a-z0-9-][a-z0-9._-]*$/;

/** True when `name` is a valid npm package name for a new package (scoped names allowed). */
export function isValidPackageName(name: string): boolean {
  return (
    name.length <= MAX_PACKAGE_NAME_LENGTH &&
    PACKAGE_NAME.test(name) &&
    name !== "node_modules" &&
    name !== "favicon.ico"
  );
}

/**
 * Longest version, in characters. A version names a store directory (`store/<id>/<version>/`), and
 * a file name has at most 255 bytes on most file systems; semver itself sets no limit.
 */
export const MAX_VERSION_LENGTH = 128;

/**
 * True when `version` is a plain semver version (no leading "v" or "=", no spaces; build metadata
 * kept) of at most {@link MAX_VERSION_LENGTH} characters.
 */
export function isValidVersion(version: string): boolean {
  if (version.length > MAX_VERSION_LENGTH) return false;
  const parsed = semver.parse(version);
  if (parsed === null) return false;
  const build = parsed.build.length > 0 ? `+${parsed.build.join(".")}` : "";
  return `${parsed.version}${build}` === version;
}

/** True when `range` is a valid semver range (`^2.1.0`, `>=1 <3`, `*`, `1.x`). */
export function isValidRange(range: string): boolean {
  return range.trim() !== "" && semver.validRange(range) !== null;
}

/** True for a module id, or `id@range` (`lib@^2`): the keys of the config's `modules`. */
export function isValidModuleRange(ref: string): boolean {
  const { id, version } = parseModuleRef(ref);
  return isValidPackageName(id) && (version === undefined || isValidRange(version));
}

/** Registers the `expected` annotation and the `npm-name`, `semver`, `semver-range`, `module-ref` (`id` or `id@range`) and `time-zone` formats. */
export function addManifestVocabulary(ajv: Ajv): Ajv {
  ajv.addKeyword({ keyword: "expected", schemaType: "string" });
  ajv.addFormat("npm-name", isValidPackageName);
  ajv.addFormat("semver", isValidVersion);
  ajv.addFormat("semver-range", isValidRange);
  ajv.addFormat("module-ref", isValidModuleRange);
  ajv.addFormat("time-zone", isTimeZone);
  return ajv;
}

const NAME = 'a valid npm package name such as "video-player" or "@acme/video-player"';
const RANGE = 'a semver range such as "^2.1.0"';
const ACTIVATION = '"eager", "lazy" or { "onEvent": ["event.name", ...] }';

const strings = (expected: string, item = "a non-empty string") => ({
  type: "array",
  expected,
  items: { type: "string", minLength: 1, expected: item },
});

// A ".." segment (either separator): a manifest's grant must not lead out of the module's directory.
const DOT_DOT_SEGMENT = "(^|[/\\\\])\\.\\.([/\\\\]|$)";

/** A path in a manifest's `permissions`: relative without "..", or absolute (only a ceiling can grant it). */
const MANIFEST_PATH = {
  type: "string",
  minLength: 1,
  not: { pattern: DOT_DOT_SEGMENT },
  expected:
    'a path inside the module\'s directory such as "./media" (no ".." segment), or an absolute path the operator grants',
};

/** Longest list in a `permissions` section (paths, variable names). */
export const MAX_PERMISSION_ENTRIES = 256;

/**
 * The schema of a `permissions` section: the manifest's (what a module asks for) and each entry
 * of the config file's (the operator's ceiling). `path` is the schema of one path.
 */
export function permissionsSchema(path: object): object {
  const paths = (example: string) => ({
    type: "array",
    maxItems: MAX_PERMISSION_ENTRIES,
    expected: `an array of paths such as ["${example}"] (at most ${MAX_PERMISSION_ENTRIES})`,
    items: path,
  });
  return closed('an object such as { "fsRead": ["./media"], "childProcess": false, "env": ["LANG"] }', {
    fsRead: paths("./media"),
    fsWrite: paths("./cache"),
    childProcess: { type: "boolean", expected: "true or false" },
    worker: { type: "boolean", expected: "true or false" },
    net: { type: "boolean", expected: "true or false" },
    env: {
      type: "array",
      maxItems: MAX_PERMISSION_ENTRIES,
      expected: `an array of environment variable names such as ["LANG"] (at most ${MAX_PERMISSION_ENTRIES})`,
      items: {
        type: "string",
        pattern: "^[A-Za-z_][A-Za-z0-9_]*$",
        expected: "an environment variable name (letters, digits and _, not starting with a digit)",
      },
    },
  });
}

/** Most entries in `requires` or `optional`: resolution time grows faster than their number. */
export const MAX_DEPENDENCIES = 1000;

const dependencyMap = (what: string) => ({
  type: "object",
  maxProperties: MAX_DEPENDENCIES,
  expected: `an object mapping at most ${MAX_DEPENDENCIES} module ids to semver ranges (${what}), such as { "file-io": "^2.1.0" }`,
  propertyNames: { format: "npm-name", expected: `a module id that is ${NAME}` },
  additionalProperties: { type: "string", format: "semver-range", expected: RANGE },
});

/** The policies of one level of `calls` (module-wide, or one method). */
const policyProperties = {
  timeoutMs: delay("the deadline of each attempt (0 for none)"),
  idempotent: { type: "boolean", expected: "true or false (true: safe to call twice, so it may be retried)" },
  retry: offOr("retries", '{ "maxAttempts": 3, "initialDelayMs": 50 }', {
    maxAttempts: count("attempts in all, the first included", 1),
    initialDelayMs: delay("the delay before the first retry"),
    maxDelayMs: delay("the longest delay between attempts"),
    multiplier: {
      type: "number",
      minimum: 1,
      maximum: 100,
      expected: "the growth of each delay: a number from 1 to 100",
    },
    jitter: fraction("the random part of each delay"),
  }),
  breaker: offOr("circuit breaker", '{ "consecutiveFailures": 5, "openMs": 5000 }', {
    consecutiveFailures: count("failures in a row that open it (0: never)", 0),
    failureRate: fraction("the failed fraction of calls in the window that opens it (0: never)"),
    windowMs: ms("the window the failure rate is measured over"),
    minCalls: count("calls the window needs before the rate counts", 1),
    openMs: ms("how long it stays open before probing"),
    halfOpenProbes: count("calls let through while half-open", 1),
  }),
  bulkhead: offOr("bulkhead", '{ "maxConcurrent": 10, "maxQueue": 100 }', {
    maxConcurrent: count("calls running at once", 1),
    maxQueue: count("calls waiting for a slot", 0),
  }),
};

/** The `calls` section (also what `runtime.policies.set` accepts). */
export const callsSchema = closed(
  'an object such as { "timeoutMs": 2000, "retry": { "maxAttempts": 3 }, "methods": { "status": { "idempotent": true } } }',
  {
    ...policyProperties,
    methods: {
      type: "object",
      expected:
        'an object mapping method names to policies, such as { "status": { "idempotent": true, "timeoutMs": 500 } }',
      additionalProperties: closed(
        'an object such as { "idempotent": true, "timeoutMs": 500, "retry": { "maxAttempts": 5 } }',
        policyProperties,
      ),
    },
  },
);

/** The `chipset` field: every property of `ChipsetManifest`; unknown keys are rejected. */
export const chipsetSchema = {
  type: "object",
  additionalProperties: false,
  required: ["kind"],
  expected: 'an object describing the module, such as { "kind": "media" }',
  properties: {
    kind: {
      type: "string",
      pattern: "^[a-z][a-z0-9]*(?:[-._][a-z0-9]+)*$",
      maxLength: 64,
      expected:
        'a module kind such as "media": lowercase letters and digits, words joined by "-", "." or "_"',
    },
    description: { type: "string", maxLength: 1000, expected: "a string of at most 1000 characters" },
    keywords: strings('an array of keywords such as ["video", "player"]'),
    requires: dependencyMap("hard dependencies"),
    optional: dependencyMap("optional dependencies"),
    provides: { ...strings('an array of capability names such as ["video.play"]'), uniqueItems: true },
    activation: {
      expected: ACTIVATION,
      if: { type: "string" },
      then: { enum: ["eager", "lazy"], expected: ACTIVATION },
      else: {
        type: "object",
        additionalProperties: false,
        required: ["onEvent"],
        expected: ACTIVATION,
        properties: {
          onEvent: { ...strings('a non-empty array of event names such as ["file.opened"]'), minItems: 1 },
        },
      },
    },
    isolation: { enum: ["inline", "worker", "process"], expected: '"inline", "worker" or "process"' },
    singleton: { type: "boolean", expected: "true or false" },
    configSchema: {
      type: "object",
      expected: 'a JSON Schema (draft-07) object such as { "type": "object", "properties": { ... } }',
    },
    limits: closed(
      'an object such as { "memoryMb": 256, "cpuPercent": 50, "warnAt": 0.8, "action": "restart" }',
      {
        ...resourceLimitProperties,
        checkpointKb: {
          type: "integer",
          minimum: 1,
          maximum: 65536,
          expected: "a whole number of KiB from 1 to 65536 (64 MiB)",
        },
        pids: {
          type: "integer",
          minimum: 32,
          maximum: 65536,
          expected: "a whole number of processes and threads from 32 to 65536",
        },
      },
    ),
    permissions: permissionsSchema(MANIFEST_PATH),
    restart: closed('an object such as { "policy": "permanent", "maxRestarts": 5, "withinMs": 60000 }', {
      policy: {
        enum: ["permanent", "transient", "temporary"],
        expected: '"permanent", "transient" or "temporary"',
      },
      maxRestarts: { type: "integer", minimum: 0, expected: "a non-negative integer" },
      withinMs: ms("the restart window"),
      initialDelayMs: {
        ...ms("the first backoff delay"),
        minimum: 0,
        expected: `the first backoff delay: 0 or a positive integer number of milliseconds (at most ${MAX_TIMER_MS})`,
      },
      maxDelayMs: ms("the longest backoff delay"),
      resetAfterMs: ms("the uptime after which backoff starts again from the first delay"),
      onDependencyCrash: {
        enum: ["continue", "stop", "restart"],
        expected: '"continue" (keep running, calls to it fail fast), "stop", or "restart" (after it is back)',
      },
    }),
    calls: callsSchema,
    update: closed('an object such as { "verify": [{ "method": "status" }] }', {
      verify: {
        type: "array",
        maxItems: 100,
        expected: 'an array of calls such as [{ "method": "status", "args": [] }]',
        items: {
          type: "object",
          additionalProperties: false,
          required: ["method"],
          expected: 'a call such as { "method": "status", "args": [] }',
          properties: {
            method: { type: "string", minLength: 1, expected: "the name of a method of the module's api" },
            args: { type: "array", expected: "the call's arguments, as a JSON array" },
          },
        },
      },
    }),
    fallback: { type: "string", format: "npm-name", expected: `the id of another module, ${NAME}` },
    probes: probesSchema,
    timeouts: closed('an object of per-phase hook timeouts such as { "init": 5000, "stop": 2000 }', {
      load: ms("the load timeout"),
      init: ms("the init timeout"),
      start: ms("the start timeout"),
      pause: ms("the pause timeout"),
      resume: ms("the resume timeout"),
      stop: ms("the stop timeout"),
    }),
    idleUnloadMs: {
      type: "integer",
      minimum: 0,
      maximum: MAX_TIMER_MS,
      expected: `the idle time before unloading: a non-negative integer number of milliseconds (0 never unloads)`,
    },
    triggers: triggersSchema,
    replicas: replicasSchema,
    engine: engineSchema,
    placement: placementSchema,
  },
} as const;

/** The package.json shape `{ name, version, chipset }`; other package.json fields pass through. */
export const manifestSchema = {
  $id: "chipset:package-manifest",
  type: "object",
  required: ["name", "version", "chipset"],
  expected: "a package.json object",
  properties: {
    name: { type: "string", format: "npm-name", expected: NAME },
    version: {
      type: "string",
      format: "semver",
      expected: `a semver version such as "1.4.0", of at most ${MAX_VERSION_LENGTH} characters`,
    },
    type: { enum: ["module", "commonjs"], expected: '"module" or "commonjs"' },
    main: { type: "string", minLength: 1, expected: 'a relative path such as "./dist/index.js"' },
    chipset: chipsetSchema,
  },
} as const;
