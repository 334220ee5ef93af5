import { closestName } from "../common/closestName.js";
import { renderValue } from "../common/renderValue.js";
import type { SchemaProblem } from "./describeSchemaErrors.js";

/**
 * Checks the value at `field` (a dotted path, `""` for the whole value) and adds what is wrong
 * with it to `problems`, phrased like ajv's through `describeSchemaErrors`. For values that are
 * not JSON (functions, a clock, a logger) and where loading ajv would cost more than the check
 * (see `validateOptions`).
 */
export type ValueCheck = (value: unknown, field: string, problems: SchemaProblem[]) => void;

/** An integer from `min` to `max` (inclusive; no upper bound when omitted). */
export function integer(min: number, max: number | undefined, expected: string): ValueCheck {
  return where((v) => Number.isSafeInteger(v) && v >= min && (max === undefined || v <= max), expected);
}

/** A finite number for which `test` holds. */
export function finite(test: (n: number) => boolean, expected: string): ValueCheck {
  return where((v) => Number.isFinite(v) && test(v), expected);
}

/** One of `values` (compared with `===`). */
export function oneOf(values: readonly unknown[], expected: string): ValueCheck {
  return (value, field, problems) => {
    if (!values.includes(value)) problems.push(invalid(field, expected, value));
  };
}

/** `true` or `false`. */
export function boolean(expected: string): ValueCheck {
  return (value, field, problems) => {
    if (typeof value !== "boolean") problems.push(invalid(field, expected, value));
  };
}

/** A string that is not empty. */
export function text(expected: string): ValueCheck {
  return (value, field, problems) => {
    if (typeof value !== "string" || value === "") problems.push(invalid(field, expected, value));
  };
}

/** A string that passes `test`. */
export function textWhere(test: (value: string) => boolean, expected: string): ValueCheck {
  return (value, field, problems) => {
    if (typeof value !== "string" || !test(value)) problems.push(invalid(field, expected, value));
  };
}

/** An object (not null, not an array) with any fields. */
export function object(expected: string): ValueCheck {
  return (value, field, problems) => {
    if (!isObject(value)) problems.push(invalid(field, expected, value));
  };
}

/** A function. */
export function func(expected: string): ValueCheck {
  return (value, field, problems) => {
    if (typeof value !== "function") problems.push(invalid(field, expected, value));
  };
}

/** An object with a function under each of `names` (a clock, a logger). */
export function withMethods(names: readonly string[], expected: string): ValueCheck {
  return (value, field, problems) => {
    if (typeof value !== "object" || value === null)
      return void problems.push(invalid(field, expected, value));
    const record = value as Record<string, unknown>;
    const missing = names.filter((name) => typeof record[name] !== "function");
    if (missing.length > 0)
      problems.push({
        field,
        expected,
        found: `an object without ${missing.join(", ")}`,
        message: `${subject(field)} is invalid; expected ${expected}, found an object without ${missing.join(", ")}`,
      });
  };
}

/** An array whose every item passes `item`. */
export function list(item: ValueCheck, expected: string): ValueCheck {
  return (value, field, problems) => {
    if (!Array.isArray(value)) return void problems.push(invalid(field, expected, value));
    value.forEach((v, i) => item(v, join(field, String(i)), problems));
  };
}

/**
 * An object with only the fields of `fields`, each checked when present (undefined counts as
 * absent); an unknown field is reported with the closest known name, if one is close.
 */
export function shape(fields: Readonly<Record<string, ValueCheck>>, expected: string): ValueCheck {
  const known = Object.keys(fields);
  return (value, field, problems) => {
    if (!isObject(value)) return void problems.push(invalid(field, expected, value));
    for (const [name, v] of Object.entries(value)) {
      const at = join(field, name);
      const check = Object.hasOwn(fields, name) ? fields[name] : undefined;
      if (check === undefined) {
        const guess = closestName(name, known);
        const hint = guess === undefined ? "" : ` (did you mean "${guess}"?)`;
        const expectedHere = `one of the known fields: ${known.join(", ")}`;
        problems.push({
          field: at,
          expected: expectedHere,
          found: render(v),
          message: `"${at}" is not a known field${hint}; expected ${expectedHere}`,
        });
      } else if (v !== undefined) check(v, at, problems);
    }
  };
}

/** An object whose every key passes `key` and every value passes `item`. */
export function record(
  key: (name: string) => boolean,
  keyExpected: string,
  item: ValueCheck,
  expected: string,
): ValueCheck {
  return (value, field, problems) => {
    if (!isObject(value)) return void problems.push(invalid(field, expected, value));
    for (const [name, v] of Object.entries(value)) {
      const at = join(field, name);
      if (!key(name)) {
        problems.push({
          field: at,
          expected: keyExpected,
          found: renderValue(name),
          message: `"${at}" has an invalid name; expected ${keyExpected}, found ${renderValue(name)}`,
        });
      } else item(v, at, problems);
    }
  };
}

/** `false`, or a value that passes `check`. */
export function falseOr(check: ValueCheck): ValueCheck {
  return (value, field, problems) => {
    if (value !== false) check(value, field, problems);
  };
}

/** Any value. */
export const anything: ValueCheck = () => undefined;

/** A plain object: not null, not an array. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function where(test: (n: number) => boolean, expected: string): ValueCheck {
  return (value, field, problems) => {
    if (typeof value !== "number" || !test(value)) problems.push(invalid(field, expected, value));
  };
}

function invalid(field: string, expected: string, value: unknown): SchemaProblem {
  const found = render(value);
  return {
    field,
    expected,
    found,
    message: `${subject(field)} is invalid; expected ${expected}, found ${found}`,
  };
}

/** Like `renderValue`, but NaN and the infinities by name (JSON would say `null`) and functions as such. */
function render(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (typeof value === "function") return "a function";
  return renderValue(value);
}

function subject(field: string): string {
  return field === "" ? "The value" : `"${field}"`;
}

function join(field: string, name: string): string {
  return field === "" ? name : `${field}.${name}`;
}
