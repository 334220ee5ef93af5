import type { ErrorObject } from "ajv";
import { ownValue } from "../common/ownValue.js";
import { closestName } from "../common/closestName.js";
import { renderValue } from "../common/renderValue.js";
import { isSecretName, redactConfig } from "./redactConfig.js";

/** What a problem says in place of a value that may be a secret. */
export const HIDDEN_VALUE = "a value that does not fit";

/** One validation problem, phrased for people: which field, what was expected, what was found. */
export interface SchemaProblem {
  /** Dotted path of the field (`chipset.requires.file-io`); `""` for the whole document. */
  field: string;
  /** What a valid value looks like, such as `a semver range such as "^2.1.0"`. */
  expected: string;
  /**
   * The value found, rendered as short JSON, or `nothing` when the field is missing; {@link HIDDEN_VALUE}
   * for a value that may be a secret (`writeOnly` in the schema, or under a name like `password`).
   */
  found: string;
  /** One sentence: `"chipset.kind" is missing; expected ...`. */
  message: string;
}

// Combinators only summarise the errors of their branches, which are reported themselves.
const SUMMARY_KEYWORDS = new Set(["if", "anyOf", "oneOf", "allOf", "not", "propertyNames"]);

/**
 * Turns ajv errors (compiled with `verbose: true`) into {@link SchemaProblem}s, most specific
 * first. An `expected` annotation on the failing schema node is quoted; otherwise it is derived.
 * A value that may be a secret is never quoted: one the failing schema node marks `writeOnly`,
 * one under a key named like a secret, and, given the whole `schema` the data was checked
 * against, whatever {@link redactConfig} hides (a `writeOnly` ancestor, a URL's password).
 */
export function describeSchemaErrors(
  errors: readonly ErrorObject[],
  data: unknown,
  schema?: Record<string, unknown>,
): SchemaProblem[] {
  const specific = errors.filter((e) => !SUMMARY_KEYWORDS.has(e.keyword));
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  const redacted = schema === undefined ? [] : redactConfig(schema, data).redacted;
  const secret = (segments: readonly string[], node: Record<string, unknown> | undefined): boolean => {
    if (node?.writeOnly === true || segments.some((segment) => isSecretName(segment))) return true;
    const pointer = segments.map((s) => `/${s.replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
    return redacted.some((r) => pointer === r || pointer.startsWith(`${r}/`));
  };
  for (const error of specific.length > 0 ? specific : errors) {
    const problem = describe(error, data, secret);
    const key = `${problem.field}\0${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

/** Joins path segments as `a.b.c` (array indices too: `keywords.1`). */
export function dottedPath(segments: readonly string[]): string {
  return segments.join(".");
}

/** Whether the value at `segments` (checked by schema node `node`) may be a secret. */
type SecretTest = (segments: readonly string[], node: Record<string, unknown> | undefined) => boolean;

function describe(error: ErrorObject, data: unknown, secret: SecretTest): SchemaProblem {
  const base = pointerSegments(error.instancePath);
  const parent = asRecord(error.parentSchema);
  const params = error.params as Record<string, unknown>;
  const annotated = typeof parent?.expected === "string" ? parent.expected : undefined;

  if (error.keyword === "required") {
    const name = String(params.missingProperty);
    const field = dottedPath([...base, name]);
    const propertySchema = asRecord(ownValue(asRecord(parent?.properties), name));
    const expected =
      typeof propertySchema?.expected === "string"
        ? propertySchema.expected
        : deriveFromSchema(propertySchema);
    return { field, expected, found: "nothing", message: `"${field}" is missing; expected ${expected}` };
  }

  if (error.keyword === "additionalProperties" || error.keyword === "unevaluatedProperties") {
    const name = String(params.additionalProperty ?? params.unevaluatedProperty);
    const field = dottedPath([...base, name]);
    const known = Object.keys(asRecord(parent?.properties) ?? {});
    const expected = known.length > 0 ? `one of the known fields: ${known.join(", ")}` : "no such field";
    const guess = closestName(name, known);
    const hint = guess === undefined ? "" : ` (did you mean "${guess}"?)`;
    const path = [...base, name];
    return {
      field,
      expected,
      found: secret(path, undefined) ? HIDDEN_VALUE : renderValue(valueAt(data, path)),
      message: `"${field}" is not a known field${hint}; expected ${expected}`,
    };
  }

  const propertyName = (error as ErrorObject & { propertyName?: string }).propertyName;
  if (propertyName !== undefined) {
    const field = dottedPath([...base, propertyName]);
    const expected = annotated ?? deriveFromError(error);
    const found = renderValue(propertyName);
    return {
      field,
      expected,
      found,
      message: `"${field}" has an invalid name; expected ${expected}, found ${found}`,
    };
  }

  const field = dottedPath(base);
  const expected = annotated ?? deriveFromError(error);
  const found = secret(base, parent) ? HIDDEN_VALUE : renderValue(valueAt(data, base));
  const subject = field === "" ? "The value" : `"${field}"`;
  return { field, expected, found, message: `${subject} is invalid; expected ${expected}, found ${found}` };
}

function deriveFromError(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "type":
      return describeTypes(String(p.type));
    case "enum":
      return `one of ${(p.allowedValues as unknown[]).map((v) => renderValue(v)).join(", ")}`;
    case "const":
      return renderValue(p.allowedValue);
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return `a number ${String(p.comparison)} ${String(p.limit)}`;
    case "multipleOf":
      return `a multiple of ${String(p.multipleOf)}`;
    case "minLength":
      return `a string of at least ${String(p.limit)} characters`;
    case "maxLength":
      return `a string of at most ${String(p.limit)} characters`;
    case "pattern":
      return `a string matching /${String(p.pattern)}/`;
    case "format":
      return `a string in "${String(p.format)}" format`;
    case "minItems":
      return `an array of at least ${String(p.limit)} items`;
    case "maxItems":
      return `an array of at most ${String(p.limit)} items`;
    case "uniqueItems":
      return "an array without duplicate items";
    case "minProperties":
      return `an object with at least ${String(p.limit)} fields`;
    case "maxProperties":
      return `an object with at most ${String(p.limit)} fields`;
    default:
      return `a value that ${error.message ?? "matches the schema"}`;
  }
}

function deriveFromSchema(schema: Record<string, unknown> | undefined): string {
  if (schema === undefined) return "a value";
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((v) => renderValue(v)).join(", ")}`;
  if (typeof schema.type === "string") return describeTypes(schema.type);
  if (Array.isArray(schema.type)) return describeTypes(schema.type.join(","));
  return "a value";
}

const ARTICLES: Record<string, string> = {
  string: "a string",
  number: "a number",
  integer: "an integer",
  boolean: "true or false",
  object: "an object",
  array: "an array",
  null: "null",
};

function describeTypes(types: string): string {
  return types
    .split(",")
    .map((t) => ARTICLES[t] ?? t)
    .join(" or ");
}

function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function valueAt(data: unknown, segments: readonly string[]): unknown {
  let node = data;
  for (const segment of segments) {
    if (typeof node !== "object" || node === null) return undefined;
    node = Object.hasOwn(node, segment) ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return node;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
