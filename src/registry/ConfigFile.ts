import fs from "node:fs";
import path from "node:path";
import type { ValidateFunction } from "ajv";
import { createAjv } from "./createAjv.js";
import { ChipsetError, ErrorCodes, messageOf } from "../errors/index.js";
import { configFileError, readConfigText } from "./readConfigText.js";
import { describeSchemaErrors } from "./describeSchemaErrors.js";
import { addManifestVocabulary, callsSchema, permissionsSchema } from "./manifestSchema.js";
import type { CallsConfig } from "../vocabulary/calls.js";
import type { ResourceLimits } from "../vocabulary/resources.js";
import type { DispatchSettings } from "../vocabulary/dispatch.js";
import { dispatchConfigSchema } from "./dispatchConfigSchema.js";
import { logsConfigSchema } from "./logsConfigSchema.js";
import { clusterConfigSchema } from "./clusterConfigSchema.js";
import { resourceLimitProperties } from "./schemaParts.js";
import type { PermissionCeilings, PermissionsSection } from "../vocabulary/permissions.js";
import type { PlacementManifest } from "../vocabulary/placement.js";
import { placementByModuleSchema } from "./placementSchema.js";

/** The conventional name of the config file in an application's directory. */
export const CONFIG_FILE_NAME = "chipset.config.json";

/** Runtime-wide defaults a config file may set; each overrides the runtime's built-in default. */
export interface ConfigDefaults {
  /** Per-phase hook timeout in milliseconds. */
  hookTimeoutMs?: number;
  /** Unload a module after this many milliseconds without calls; 0 never unloads. */
  idleUnloadMs?: number;
  /** How many of the most used modules to preload after start-up (0 disables). */
  preload?: number;
  /** Deadline for a graceful shutdown, in milliseconds. */
  shutdownTimeoutMs?: number;
}

/** How the running host keeps its log files (`logs` in the config file); each field has a default. */
export interface LogsConfig {
  /** Size of a log file before it is rotated, in bytes (at least 1 024). */
  maxFileBytes?: number;
  /** How many rotated files are kept besides the current one (0 keeps none). */
  keepFiles?: number;
  /** The least severe level written to the files. */
  level?: "fatal" | "error" | "warn" | "info" | "debug" | "trace";
}

/** The `triggers` section of a config file. */
export interface ConfigTriggers {
  /** The IANA time zone cron schedules are read in; default the machine's. */
  timeZone?: string;
  /** A module with triggers is unloaded after this long without calls, in ms, unless its manifest says otherwise; 0 never. */
  idleUnloadMs?: number;
}

/** The `resources` section of a config file (see docs/resources.md). */
export interface ConfigResources {
  /** How often every module's resources are sampled, in ms; 0 turns sampling off. */
  sampleMs?: number;
  /** Limits and thresholds of every module, under each manifest's `limits`. */
  limits?: ResourceLimits;
  /** How long raw samples are kept, in ms. */
  rawRetentionMs?: number;
  /** How long one-minute roll-ups are kept, in ms. */
  rollupRetentionMs?: number;
  /** The most sample and roll-up rows kept together; the oldest go first. */
  maxRows?: number;
  /** How often a report is made (`report.ready`), in ms; 0 never. */
  reportEveryMs?: number;
}

/** The `cluster` section of a config file: how the host authenticates to NATS; paths absolute. */
export interface ClusterConfig {
  /** A NATS user; its password is read from `passwordFile`. */
  user?: string;
  passwordFile?: string;
  /** A file holding an nkey seed, instead of a user and password. */
  nkeySeedFile?: string;
  /** PEM files for TLS. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

/** A validated `chipset.config.json`, paths made absolute. */
export interface ChipsetConfig {
  /** Absolute path of the file that was read. */
  file: string;
  /** Absolute directories to scan for modules (see `scanModuleDirs`); default `[]`. */
  moduleDirs: string[];
  /** Per-module configuration, by module id, validated later against each module's configSchema. */
  modules: Record<string, Record<string, unknown>>;
  defaults: ConfigDefaults;
  /** Call policies for every module, below each manifest's `calls`. */
  calls: CallsConfig | undefined;
  /** Call policies by module id, over its manifest's `calls`. */
  policies: Record<string, CallsConfig>;
  /** Where each module may run in a cluster, by module id, over its manifest's `placement` (ignored on a lone host). */
  placement: Record<string, PlacementManifest>;
  /** The operator's ceilings on sandboxed modules' permissions, paths absolute; none by default. */
  permissions: PermissionCeilings;
  /** The application's own constraints, by module id: the range `runtime.use(id)` selects in. */
  use: Record<string, string>;
  /** Versions or ranges that replace every range on a module (pnpm-style), by module id. */
  overrides: Record<string, string>;
  /** How the host keeps its log files; `{}` when the file has no `logs` section. */
  logs: LogsConfig;
  /** Cron triggers' time zone and trigger modules' idle unload (see `triggers` in docs/triggers.md). */
  triggers: ConfigTriggers;
  /** Resource sampling, limits, retention and reports; `{}` when the file has no `resources` section. */
  resources: ConfigResources;
  /** Document 004's manager settings (how `runtime.execute` picks and queues); `{}` when absent. */
  dispatch: Partial<DispatchSettings>;
  /** How `chipset start --cluster` authenticates to NATS; `{}` when the file has no `cluster` section. */
  cluster: ClusterConfig;
  /** The raw `sources`, `trust` and `updates` fields, checked by the updates' own validator. */
  updateFields: { sources?: unknown; trust?: unknown; updates?: unknown };
}

const ms = (what: string) => ({
  type: "integer",
  minimum: 1,
  maximum: 2_147_483_647,
  expected: `${what}: a positive integer number of milliseconds`,
});

/** A section mapping module ids to semver ranges (or versions). */
function rangesByModule(expected: string) {
  return {
    type: "object",
    expected,
    propertyNames: { format: "npm-name", expected: "a module id (an npm package name)" },
    additionalProperties: {
      type: "string",
      format: "semver-range",
      expected: 'a semver version or range such as "^2.1.0"',
    },
  } as const;
}

/** The JSON Schema of `chipset.config.json`; unknown keys are rejected so typos surface. */
export const configFileSchema = {
  type: "object",
  additionalProperties: false,
  expected: 'an object such as { "moduleDirs": ["./modules"] }',
  properties: {
    $schema: { type: "string", expected: "a schema URL" },
    moduleDirs: {
      type: "array",
      expected: 'an array of directories such as ["./modules"]',
      items: { type: "string", minLength: 1, expected: "a directory path, relative to the config file" },
    },
    modules: {
      type: "object",
      expected:
        'an object mapping module ids (or id@range, for the versions in that range) to their configuration, such as { "video-player": { "bufferMs": 500 } }',
      propertyNames: {
        format: "module-ref",
        expected: 'a module id (an npm package name), or id@range such as "video-player@^2"',
      },
      additionalProperties: { type: "object", expected: "a configuration object" },
    },
    use: rangesByModule(
      'an object mapping module ids to the range the application uses, such as { "lib": "^2" }',
    ),
    overrides: rangesByModule(
      'an object mapping module ids to the version every dependent gets, such as { "lib": "1.6.0" }',
    ),
    // Checked in full by updates/validateUpdateConfig (which parses the keys), where they are used.
    sources: {
      type: "array",
      expected: 'an array of registries such as [{ "registry": "https://registry.npmjs.org/" }]',
    },
    trust: { type: "object", expected: 'an object such as { "keys": [...], "require": true }' },
    updates: { type: "object", expected: 'an object such as { "auto": "patch" }' },
    calls: callsSchema,
    policies: {
      type: "object",
      expected: 'an object mapping module ids to call policies, such as { "codec": { "timeoutMs": 500 } }',
      propertyNames: { format: "npm-name", expected: "a module id (an npm package name)" },
      additionalProperties: callsSchema,
    },
    placement: placementByModuleSchema,
    permissions: {
      type: "object",
      expected:
        'an object mapping "default" and module ids to the most they may be granted, such as { "default": { "env": ["LANG"] }, "codec": { "fsWrite": ["/var/cache/codec"] } }',
      propertyNames: { format: "npm-name", expected: 'a module id (an npm package name), or "default"' },
      additionalProperties: permissionsSchema({
        type: "string",
        minLength: 1,
        expected: "a path, absolute or relative to the config file",
      }),
    },
    logs: logsConfigSchema,
    cluster: clusterConfigSchema,
    dispatch: dispatchConfigSchema,
    resources: {
      type: "object",
      additionalProperties: false,
      expected:
        'an object such as { "sampleMs": 1000, "limits": { "memoryMb": 512 }, "reportEveryMs": 3600000 }',
      properties: {
        sampleMs: {
          type: "integer",
          minimum: 0,
          maximum: 2_147_483_647,
          expected:
            "how often resources are sampled: a non-negative integer number of milliseconds (0 turns sampling off)",
        },
        limits: {
          type: "object",
          additionalProperties: false,
          expected:
            'an object such as { "memoryMb": 512, "cpuPercent": 90, "warnAt": 0.8, "action": "warn" }',
          properties: resourceLimitProperties,
        },
        rawRetentionMs: ms("how long raw samples are kept"),
        rollupRetentionMs: ms("how long one-minute roll-ups are kept"),
        maxRows: {
          type: "integer",
          minimum: 1000,
          maximum: 100_000_000,
          expected: "the most sample rows kept: an integer from 1000 to 100000000",
        },
        reportEveryMs: {
          type: "integer",
          minimum: 0,
          maximum: 2_147_483_647,
          expected: "how often a report is made: a non-negative integer number of milliseconds (0 never)",
        },
      },
    },
    triggers: {
      type: "object",
      additionalProperties: false,
      expected: 'an object such as { "timeZone": "Europe/Paris", "idleUnloadMs": 60000 }',
      properties: {
        timeZone: {
          type: "string",
          format: "time-zone",
          expected: 'an IANA time zone such as "Europe/Paris" or "UTC"',
        },
        idleUnloadMs: {
          type: "integer",
          minimum: 0,
          maximum: 2_147_483_647,
          expected:
            "the idle time before a module with triggers is unloaded: a non-negative integer number of milliseconds (0 never unloads)",
        },
      },
    },
    defaults: {
      type: "object",
      additionalProperties: false,
      expected: 'an object such as { "hookTimeoutMs": 5000, "preload": 3 }',
      properties: {
        hookTimeoutMs: ms("the hook timeout"),
        idleUnloadMs: {
          type: "integer",
          minimum: 0,
          maximum: 2_147_483_647,
          expected:
            "the idle time before unloading: a non-negative integer number of milliseconds (0 never unloads)",
        },
        preload: { type: "integer", minimum: 0, expected: "a non-negative integer number of modules" },
        shutdownTimeoutMs: ms("the shutdown deadline"),
      },
    },
  },
} as const;

// Compiled once per process on first use (a pure memo).
let validator: ValidateFunction | undefined;

/**
 * Reads and validates a config file; relative `moduleDirs` are resolved against its directory.
 * Throws `CHIP_ERR_OPTIONS_INVALID` naming the file (and the field) when it is missing or invalid.
 */
export function loadConfigFile(file: string): ChipsetConfig {
  const absolute = path.resolve(file);
  const text = readConfigText(absolute);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw configFileError(
      absolute,
      "",
      `Invalid config file ${absolute}: it is not valid JSON (${messageOf(err)}).`,
      err,
    );
  }
  validator ??= addManifestVocabulary(
    createAjv({ allErrors: true, verbose: true, strict: true, logger: false }),
  ).compile(configFileSchema);
  if (!validator(json)) {
    const problems = describeSchemaErrors(validator.errors ?? [], json);
    const [first] = problems;
    throw new ChipsetError(
      ErrorCodes.OPTIONS_INVALID,
      `Invalid config file ${absolute}: ${first?.message ?? "it does not match the expected shape"}` +
        `${
          problems.length > 1
            ? ` (and ${problems.length - 1} more: ${problems
                .slice(1)
                .map((p) => p.message)
                .join("; ")})`
            : ""
        }.`,
      {
        details: {
          file: absolute,
          field: first?.field ?? "",
          expected: first?.expected,
          found: first?.found,
          errors: problems,
        },
      },
    );
  }
  const config = json as {
    moduleDirs?: string[];
    modules?: ChipsetConfig["modules"];
    defaults?: ConfigDefaults;
    logs?: LogsConfig;
    calls?: CallsConfig;
    policies?: Record<string, CallsConfig>;
    placement?: Record<string, PlacementManifest>;
    permissions?: Record<string, PermissionsSection>;
    use?: Record<string, string>;
    overrides?: Record<string, string>;
    sources?: unknown;
    trust?: unknown;
    updates?: unknown;
    triggers?: ConfigTriggers;
    resources?: ConfigResources;
    dispatch?: Partial<DispatchSettings>;
    cluster?: ClusterConfig;
  };
  const base = path.dirname(absolute);
  return {
    file: absolute,
    moduleDirs: (config.moduleDirs ?? []).map((dir) => path.resolve(base, dir)),
    modules: config.modules ?? {},
    defaults: config.defaults ?? {},
    calls: config.calls,
    policies: config.policies ?? {},
    placement: config.placement ?? {},
    permissions: ceilings(absolute, config.permissions ?? {}),
    use: config.use ?? {},
    overrides: config.overrides ?? {},
    logs: config.logs ?? {},
    triggers: config.triggers ?? {},
    resources: config.resources ?? {},
    dispatch: config.dispatch ?? {},
    cluster: clusterPaths(base, config.cluster ?? {}),
    updateFields: { sources: config.sources, trust: config.trust, updates: config.updates },
  };
}

/** The `permissions` section of config file `file`, its paths made absolute (relative to the file). */
function ceilings(file: string, sections: Record<string, PermissionsSection>): PermissionCeilings {
  const base = path.dirname(file);
  const absolute = (section: PermissionsSection): PermissionsSection => ({
    ...section,
    ...(section.fsRead ? { fsRead: section.fsRead.map((p) => path.resolve(base, p)) } : {}),
    ...(section.fsWrite ? { fsWrite: section.fsWrite.map((p) => path.resolve(base, p)) } : {}),
  });
  // A Map: module ids come from users, and "constructor" is an own property of no plain object.
  const modules = new Map(
    Object.entries(sections)
      .filter(([id]) => id !== "default")
      .map(([id, section]) => [id, absolute(section)]),
  );
  const fallback = Object.hasOwn(sections, "default") ? absolute(sections.default!) : undefined;
  return { file, default: fallback, modules };
}

/** The `cluster` section with its files made absolute (relative to the config file's directory `base`). */
function clusterPaths(base: string, cluster: ClusterConfig): ClusterConfig {
  const files = <K extends string>(section: Partial<Record<K, string>>, keys: readonly K[]) =>
    Object.fromEntries(
      keys.filter((k) => section[k] !== undefined).map((k) => [k, path.resolve(base, section[k]!)]),
    ) as Partial<Record<K, string>>;
  return {
    ...cluster,
    ...files(cluster, ["passwordFile", "nkeySeedFile"] as const),
    ...(cluster.tls === undefined
      ? {}
      : { tls: files(cluster.tls, ["caFile", "certFile", "keyFile"] as const) }),
  };
}

/** Loads `<dir>/chipset.config.json` when it exists; undefined when it does not. */
export function loadDefaultConfigFile(dir: string): ChipsetConfig | undefined {
  const file = path.resolve(dir, CONFIG_FILE_NAME);
  return fs.existsSync(file) ? loadConfigFile(file) : undefined;
}
