import { linearRegExp } from "./linearRegExp.js";

/** What a hidden value is replaced by. */
export const REDACTED = "[redacted]";

/**
 * Key names that hold secrets whatever the schema says: `apiKey`, `db_password`, `clientSecret`,
 * `privateKey`, `passphrase`, `pwd`, `authorization`, `bearer`, `dsn`, `cookie`, `sessionId`,
 * `signingKey`, `accessKey`, `connectionString`... A plain `key` or `keyboardLayout` is not one.
 * No lookaround or nesting: matching is linear in the name's length.
 */
const SECRET_KEY =
  /secret|token|passw|passphrase|pwd|credential|private|bearer|auth|cookie|session|dsn|connection.?string|(?:api|access|signing|encryption|master|hmac).?key/i;

/**
 * A URL with a password in it: `scheme://user:password@host...` (the password runs to the last
 * `@` before the path). Anchored, so matching stays linear in the value's length.
 */
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)([^/?#]*)@/i;

/** Whether a configuration key's name looks like it holds a secret ({@link SECRET_KEY}). */
export function isSecretName(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** `value` with the password of a URL's credentials replaced by {@link REDACTED}; undefined when it has none. */
export function withoutUrlPassword(value: string): string | undefined {
  const match = URL_PASSWORD.exec(value);
  if (match === null || match[2] === "") return undefined;
  return `${match[1]}${REDACTED}@${value.slice(match[0].length)}`;
}

/** Schema nesting followed at most (a `$ref` cycle, a schema deeper than any config). */
const MAX_DEPTH = 64;

/** A configuration with its secrets hidden, and where they were. */
export interface RedactedConfig {
  /** A copy of the configuration, each secret value replaced by {@link REDACTED}. */
  config: unknown;
  /** JSON pointers (RFC 6901) of the values replaced, in document order: `/db/password`, `/peers/0/token`. */
  redacted: string[];
}

type Schema = Record<string, unknown>;

/**
 * A copy of a module's configuration fit to show: every value the `configSchema` marks
 * `writeOnly: true` (through `properties`, `patternProperties`, `additionalProperties`, `items`,
 * `prefixItems`, `allOf`/`anyOf`/`oneOf` and local `$ref`s) and every value under a key whose
 * name looks like a secret ({@link SECRET_KEY}) is replaced by `"[redacted]"`, whatever its type;
 * in any other string that is a URL with credentials, the password is (`postgres://admin:[redacted]@db/prod`).
 * Each replacement's pointer is in `redacted`. `config` itself is not changed.
 */
export function redactConfig(schema: Schema | undefined, config: unknown): RedactedConfig {
  const redacted: string[] = [];
  const root = schema ?? {};
  const walk = (value: unknown, schemas: readonly Schema[], pointer: string): unknown => {
    if (Array.isArray(value))
      return value.map((item, i) => visit(item, itemSchemas(schemas, i, root), `${pointer}/${i}`, false));
    if (typeof value === "string") {
      const shown = withoutUrlPassword(value);
      if (shown === undefined) return value;
      redacted.push(pointer);
      return shown;
    }
    if (value === null || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const shown = visit(
        item,
        propertySchemas(schemas, key, root),
        `${pointer}/${escape(key)}`,
        isSecretName(key),
      );
      // Defined, not assigned: a key "__proto__" (JSON.parse makes it an own key) stays a key.
      Object.defineProperty(out, key, { value: shown, enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  const visit = (
    value: unknown,
    schemas: readonly Schema[],
    pointer: string,
    secretName: boolean,
  ): unknown => {
    if (secretName || schemas.some((s) => s["writeOnly"] === true)) {
      redacted.push(pointer);
      return REDACTED;
    }
    return walk(value, schemas, pointer);
  };
  return { config: walk(config, expand([root], root), ""), redacted };
}

/** The schemas that apply to property `key` of an object each of `schemas` describes. */
function propertySchemas(schemas: readonly Schema[], key: string, root: Schema): Schema[] {
  const found: Schema[] = [];
  for (const s of schemas) {
    const named = objectAt(s["properties"], key);
    if (named !== undefined) found.push(named);
    let patterned = false;
    const patterns = s["patternProperties"];
    if (isSchema(patterns))
      for (const [pattern, sub] of Object.entries(patterns)) {
        if (!isSchema(sub) || !matches(pattern, key)) continue;
        found.push(sub);
        patterned = true;
      }
    const extra = s["additionalProperties"];
    if (named === undefined && !patterned && isSchema(extra)) found.push(extra);
  }
  return expand(found, root);
}

/** The schemas that apply to item `index` of an array each of `schemas` describes. */
function itemSchemas(schemas: readonly Schema[], index: number, root: Schema): Schema[] {
  const found: Schema[] = [];
  for (const s of schemas) {
    const prefix = Array.isArray(s["prefixItems"]) ? (s["prefixItems"] as unknown[]) : undefined;
    const items = s["items"];
    const tuple = prefix ?? (Array.isArray(items) ? (items as unknown[]) : undefined);
    if (tuple !== undefined && index < tuple.length) {
      const sub = tuple[index];
      if (isSchema(sub)) found.push(sub);
      continue;
    }
    // Past a tuple: draft-07's `additionalItems`, or 2020-12's `items` after `prefixItems`.
    const rest = tuple === undefined ? items : prefix !== undefined ? items : s["additionalItems"];
    if (isSchema(rest)) found.push(rest);
  }
  return expand(found, root);
}

/** `schemas` with what they combine (`allOf`, `anyOf`, `oneOf`) and refer to (`$ref` within the schema) added. */
function expand(schemas: readonly Schema[], root: Schema): Schema[] {
  const out: Schema[] = [];
  const seen = new Set<Schema>();
  const add = (s: Schema, depth: number) => {
    if (seen.has(s) || depth > MAX_DEPTH) return;
    seen.add(s);
    out.push(s);
    const ref = s["$ref"];
    if (typeof ref === "string") {
      const target = resolveRef(root, ref);
      if (target !== undefined) add(target, depth + 1);
    }
    for (const keyword of ["allOf", "anyOf", "oneOf"])
      if (Array.isArray(s[keyword]))
        for (const sub of s[keyword] as unknown[]) if (isSchema(sub)) add(sub, depth + 1);
  };
  for (const s of schemas) add(s, 0);
  return out;
}

/** The subschema a local `$ref` (`#`, `#/definitions/db`, `#/$defs/db`) names; undefined for any other. */
function resolveRef(root: Schema, ref: string): Schema | undefined {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let at: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    const key = decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~");
    at = isSchema(at) ? objectAt(at, key) : undefined;
  }
  return isSchema(at) ? at : undefined;
}

function objectAt(record: unknown, key: string): Schema | undefined {
  if (!isSchema(record) || !Object.hasOwn(record, key)) return undefined;
  const value = record[key];
  return isSchema(value) ? value : undefined;
}

function isSchema(value: unknown): value is Schema {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Whether `key` matches a schema's pattern, on the same linear-time engine validation uses (an unusable pattern matches nothing). */
function matches(pattern: string, key: string): boolean {
  try {
    return linearRegExp(pattern, "u").test(key);
  } catch {
    return false;
  }
}

/** `key` as a JSON pointer segment (RFC 6901). */
function escape(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}
