import { ChipsetError } from "../errors/ChipsetError.js";
import { messageOf } from "../errors/index.js";
import type { SchemaProblem } from "../registry/describeSchemaErrors.js";
import { redactConfig } from "../registry/redactConfig.js";
import { validateConfig } from "../registry/validateConfig.js";
import type { ModuleRecord } from "../vocabulary/manifest.js";
import { configEntry } from "./configEntry.js";

/** Where an entry of the modules' configuration was set: the config file's path, or `options` (`createRuntime({ config })`). */
export interface ConfigOrigin {
  source: string;
  /** Its key: `id`, `id@version` or `id@range`. */
  key: string;
}

/** A module version's configuration as it is handed to the module, secrets hidden (`runtime.queries.config`). */
export interface ModuleConfigView {
  id: string;
  version: string;
  /** The configuration with the schema's defaults applied, each secret replaced by `"[redacted]"`. */
  config: unknown;
  /** JSON pointers of the values hidden (`/db/password`). */
  redacted: string[];
  /** The config file's absolute path, `options` (given in code), or `defaults` when no entry applies. */
  source: string;
  /** The entry of the modules' configuration that applies (`id`, `id@version`, `id@range`); null with `defaults`. */
  key: string | null;
  /** True when this is what the loaded instance was handed at its `init`; false: what it will be handed. */
  live: boolean;
  /** Why the configuration does not fit the module's `configSchema` (then `config` is as given, without defaults); null when it does. */
  problem: null | { code: string; message: string };
}

/** The modules' configuration by key (`id`, `id@version`, `id@range`) and where each entry was set. */
export interface ModuleConfigs {
  values: ReadonlyMap<string, unknown>;
  origins: ReadonlyMap<string, ConfigOrigin>;
}

/**
 * What `record`'s module receives as its configuration: `handed` when a loaded instance was
 * given one (at `init`), else its entry validated against its `configSchema` with the schema's
 * defaults applied, as the next `init` will do; secrets hidden (see {@link redactConfig}).
 */
export function configView(record: ModuleRecord, configs: ModuleConfigs, handed: unknown): ModuleConfigView {
  const { id, version, manifest } = record;
  const origin = configEntry(configs.origins, id, version);
  const raw = configEntry(configs.values, id, version);
  let effective: unknown = handed;
  let problem: ModuleConfigView["problem"] = null;
  if (handed === undefined) {
    try {
      effective = manifest.configSchema ? validateConfig(manifest.configSchema, raw, id) : (raw ?? {});
    } catch (err) {
      effective = raw ?? {};
      problem = problemOf(err);
    }
  }
  const { config, redacted } = redactConfig(manifest.configSchema, effective);
  return {
    id,
    version,
    config,
    redacted,
    source: origin?.source ?? "defaults",
    key: origin?.key ?? null,
    live: handed !== undefined,
    problem,
  };
}

/**
 * Why a configuration was refused, without the values found: a validation message quotes them
 * ("found \"hunter2\""), and a secret that does not fit its schema is still a secret.
 */
function problemOf(err: unknown): { code: string; message: string } {
  if (!(err instanceof ChipsetError)) return { code: "error", message: messageOf(err) };
  const problems = err.details["errors"] as SchemaProblem[] | undefined;
  if (problems === undefined || problems.length === 0) return { code: err.code, message: err.message };
  const what = problems.map((p) =>
    p.field === "" ? `expected ${p.expected}` : `"${p.field}": expected ${p.expected}`,
  );
  return {
    code: err.code,
    message: `the configuration does not fit the module's configSchema: ${what.join("; ")}`,
  };
}
