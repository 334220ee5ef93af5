import { closestName } from "../common/closestName.js";
import { renderValue } from "../common/renderValue.js";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { isTrustedKey, KEY_FORM, parseTrustedKey, SIGNATURE_ALGORITHMS } from "./trustedKey.js";
import {
  DEFAULT_UPDATE_INTERVAL_MS,
  type AutoUpdatePolicy,
  type RegistrySource,
  type SignatureAlgorithm,
  type TrustedKey,
  type TrustedKeyConfig,
  type UpdateConfig,
  type UpdatesSettings,
} from "./UpdateConfig.js";

/**
 * One thing wrong with the update fields of a config, phrased like the other config problems:
 * the field as a path (`sources[0].registry`, `trust.keys[1].key`), the expected form, what was
 * found (never a token's value) and one sentence saying all three.
 */
export interface ConfigProblem {
  field: string;
  expected: string;
  found: string;
  message: string;
}

/** What {@link validateUpdateConfig} answers: the typed config, or every problem and the error to throw. */
export type UpdateConfigResult =
  { ok: true; config: UpdateConfig } | { ok: false; problems: ConfigProblem[]; error: ChipsetError };

const AUTO_POLICIES: readonly AutoUpdatePolicy[] = ["none", "patch", "minor"];
const MAX_TIMER_MS = 2 ** 31 - 1;
// npm's scope rule: lower case, URL-safe, not starting with "." or "_".
const SCOPE = /^@[a-z0-9~-][a-z0-9._~-]*$/;
const SOURCE_FIELDS = ["registry", "scope", "token"];
const KEY_FIELDS = ["keyid", "key", "algorithm", "keytype", "scheme", "expires"];

/**
 * Validates the `sources`, `trust` and `updates` (`auto`, `intervalMs`) fields of a parsed config file `value` (other
 * fields are left to their own validator) and parses every trusted key with node:crypto. Pure:
 * reads no file and touches no network. `file` names the config file in the error. Absent
 * fields take the defaults of {@link UpdateConfig}.
 */
export function validateUpdateConfig(value: unknown, file?: string): UpdateConfigResult {
  const problems: ConfigProblem[] = [];
  const root = isObject(value) ? value : (problems.push(invalid("", "a config object", value)), {});
  const sources = readSources(root["sources"], problems);
  const trust = readTrust(root["trust"], problems);
  const updates = readUpdates(root["updates"], problems);
  if (problems.length > 0) return { ok: false, problems, error: configError(problems, file) };
  return { ok: true, config: { sources, trust, updates } };
}

function readSources(value: unknown, problems: ConfigProblem[]): RegistrySource[] {
  if (value === undefined) return [];
  const expected = 'an array of registries such as [{ "registry": "https://registry.npmjs.org/" }]';
  if (!Array.isArray(value)) return (void problems.push(invalid("sources", expected, value)), []);
  const sources: RegistrySource[] = [];
  const scopes = new Map<string | undefined, number>();
  value.forEach((item: unknown, i) => {
    const at = `sources[${i}]`;
    const entry = '{ "registry": URL, "scope"?: "@name", "token"?: string }';
    if (!isObject(item)) return void problems.push(invalid(at, entry, item));
    unknownFields(item, at, SOURCE_FIELDS, problems);
    const registry = item["registry"];
    const urlForm =
      'an http: or https: URL such as "https://registry.npmjs.org/", without a user or password (give a "token")';
    if (typeof registry !== "string" || !isHttpUrl(registry))
      problems.push(invalid(`${at}.registry`, urlForm, registry));
    const scope = item["scope"];
    if (scope !== undefined && (typeof scope !== "string" || !SCOPE.test(scope)))
      problems.push(invalid(`${at}.scope`, 'an npm scope with its "@", such as "@acme"', scope));
    const token = item["token"];
    if (token !== undefined && (typeof token !== "string" || token === "" || /[\r\n]/.test(token)))
      problems.push(secret(`${at}.token`, "a non-empty token on one line", token));
    const claimed = typeof scope === "string" ? scope : undefined;
    const before = scopes.get(claimed);
    if (before === undefined) scopes.set(claimed, i);
    else if (scope === undefined || claimed !== undefined) {
      const what = claimed === undefined ? "the default source (no scope)" : `scope ${claimed}`;
      problems.push({
        field: `${at}.scope`,
        expected: "a scope no other source serves",
        found: renderValue(scope),
        message: `"${at}" serves ${what} like "sources[${before}]" and would never be used; expected one source per scope`,
      });
    }
    if (typeof registry === "string") {
      sources.push({
        registry,
        ...(typeof scope === "string" ? { scope } : {}),
        ...(typeof token === "string" ? { token } : {}),
      });
    }
  });
  return sources;
}

function readTrust(value: unknown, problems: ConfigProblem[]): UpdateConfig["trust"] {
  if (value === undefined) return { keys: [], require: false };
  const expected = '{ "keys": [{ "keyid": ..., "key": ... }], "require": true }';
  if (!isObject(value))
    return (void problems.push(invalid("trust", expected, value)), { keys: [], require: false });
  unknownFields(value, "trust", ["keys", "require"], problems);
  const require = value["require"] ?? false;
  if (typeof require !== "boolean") problems.push(invalid("trust.require", "true or false", require));
  const keys: TrustedKey[] = [];
  const list = value["keys"] ?? [];
  if (!Array.isArray(list)) {
    problems.push(invalid("trust.keys", 'an array of keys such as [{ "keyid": "...", "key": "..." }]', list));
  } else {
    const ids = new Map<string, number>();
    list.forEach((item: unknown, i) => {
      const key = readKey(item, `trust.keys[${i}]`, problems);
      if (key === undefined) return;
      const before = ids.get(key.keyid);
      if (before !== undefined) {
        problems.push({
          field: `trust.keys[${i}].keyid`,
          expected: "a keyid no other key has",
          found: renderValue(key.keyid),
          message: `"trust.keys[${i}].keyid" is ${renderValue(key.keyid)} like "trust.keys[${before}].keyid"; expected one key per keyid`,
        });
      } else ids.set(key.keyid, i);
      keys.push(key);
    });
    if (require === true && list.length === 0) {
      problems.push({
        field: "trust.keys",
        expected: "at least one key when trust.require is true",
        found: "[]",
        message: `"trust.require" is true but "trust.keys" is empty, so every package would be refused; expected at least one trusted key`,
      });
    }
  }
  return { keys, require: require === true };
}

function readKey(item: unknown, at: string, problems: ConfigProblem[]): TrustedKey | undefined {
  if (!isObject(item)) return void problems.push(invalid(at, '{ "keyid": string, "key": string }', item));
  unknownFields(item, at, KEY_FIELDS, problems);
  const before = problems.length;
  const keyid = item["keyid"];
  if (typeof keyid !== "string" || keyid === "")
    problems.push(
      invalid(
        `${at}.keyid`,
        'the key\'s id, such as "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA"',
        keyid,
      ),
    );
  const key = item["key"];
  if (typeof key !== "string" || key === "") problems.push(invalid(`${at}.key`, KEY_FORM, key));
  const algorithmForm = `one of ${SIGNATURE_ALGORITHMS.map((a) => `"${a}"`).join(", ")}`;
  for (const name of ["algorithm", "keytype", "scheme"]) {
    const v = item[name];
    if (v !== undefined && !SIGNATURE_ALGORITHMS.includes(v as SignatureAlgorithm))
      problems.push(invalid(`${at}.${name}`, algorithmForm, v));
  }
  const expires = item["expires"];
  if (expires !== undefined && expires !== null && typeof expires !== "string")
    problems.push(invalid(`${at}.expires`, "an ISO date or null", expires));
  if (problems.length > before) return undefined;
  const parsed = parseTrustedKey(item as unknown as TrustedKeyConfig);
  if (isTrustedKey(parsed)) return parsed;
  const name = parsed.field === "key" ? "key" : item["algorithm"] !== undefined ? "algorithm" : "keytype";
  problems.push({
    field: `${at}.${name}`,
    expected: parsed.expected,
    found: renderValue(item[name]),
    message: `"${at}.${name}" is invalid: ${parsed.reason}; expected ${parsed.expected}`,
  });
  return undefined;
}

function readUpdates(value: unknown, problems: ConfigProblem[]): UpdatesSettings {
  const settings = { auto: "none" as AutoUpdatePolicy, intervalMs: DEFAULT_UPDATE_INTERVAL_MS };
  if (value === undefined) return settings;
  const form = '{ "auto": "none" | "patch" | "minor", "intervalMs": 600000 }';
  if (!isObject(value)) return (void problems.push(invalid("updates", form, value)), settings);
  unknownFields(value, "updates", ["auto", "intervalMs"], problems);
  const auto = value["auto"] ?? "none";
  if (AUTO_POLICIES.includes(auto as AutoUpdatePolicy)) settings.auto = auto as AutoUpdatePolicy;
  else
    problems.push(
      invalid(
        "updates.auto",
        '"none", "patch" (what ~current allows) or "minor" (what ^current allows)',
        auto,
      ),
    );
  const intervalMs = value["intervalMs"] ?? DEFAULT_UPDATE_INTERVAL_MS;
  // A timer's range: Node fires a longer delay at once.
  if (Number.isInteger(intervalMs) && (intervalMs as number) >= 0 && (intervalMs as number) <= MAX_TIMER_MS)
    settings.intervalMs = intervalMs as number;
  else
    problems.push(
      invalid(
        "updates.intervalMs",
        `an integer of milliseconds from 0 (never check by itself) to ${MAX_TIMER_MS}, such as 600000 (ten minutes)`,
        intervalMs,
      ),
    );
  return settings;
}

function unknownFields(
  value: Record<string, unknown>,
  at: string,
  known: readonly string[],
  problems: ConfigProblem[],
): void {
  for (const name of Object.keys(value)) {
    if (known.includes(name)) continue;
    const guess = closestName(name, known);
    const hint = guess === undefined ? "" : ` (did you mean "${guess}"?)`;
    const expected = `one of the known fields: ${known.join(", ")}`;
    problems.push({
      field: `${at}.${name}`,
      expected,
      found: name === "token" ? "a value" : renderValue(value[name]),
      message: `"${at}.${name}" is not a known field${hint}; expected ${expected}`,
    });
  }
}

/** True for an `http:` or `https:` URL without a user or password (a registry's address). */
export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (
      (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === ""
    );
  } catch {
    return false;
  }
}

function invalid(field: string, expected: string, value: unknown): ConfigProblem {
  const found = renderValue(value);
  const subject = field === "" ? "The value" : `"${field}"`;
  return { field, expected, found, message: `${subject} is invalid; expected ${expected}, found ${found}` };
}

/** Like {@link invalid}, but the value is a secret: only its type is shown. */
function secret(field: string, expected: string, value: unknown): ConfigProblem {
  const found =
    typeof value === "string" ? (value === "" ? '""' : "a string with a line break") : `a ${typeof value}`;
  return { field, expected, found, message: `"${field}" is invalid; expected ${expected}, found ${found}` };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function configError(problems: readonly ConfigProblem[], file: string | undefined): ChipsetError {
  const [first, ...rest] = problems;
  const where = file === undefined ? "Invalid update config" : `Invalid config file ${file}`;
  const more = rest.length > 0 ? ` (and ${rest.length} more: ${rest.map((p) => p.message).join("; ")})` : "";
  return new ChipsetError(
    ErrorCodes.OPTIONS_INVALID,
    `${where}: ${first?.message ?? "it is malformed"}${more}.`,
    {
      details: {
        ...(file === undefined ? {} : { file }),
        field: first?.field ?? "",
        expected: first?.expected,
        found: first?.found,
        errors: problems,
      },
    },
  );
}
