import type { Ajv, ValidateFunction } from "ajv";
import { createAjv } from "./createAjv.js";
import { linearRegExp } from "./linearRegExp.js";
import { addStandardFormats } from "./standardFormats.js";

// A process-wide memo of compiled validators: compiling is the expensive part (milliseconds) and a
// schema's validator never changes. It holds no state a caller could observe besides speed.
let ajv: Ajv | undefined;
const cache = new Map<string, ValidateFunction | Error>();

function configAjv(): Ajv {
  // strictSchema catches typos such as "proprties"; type/tuple/required strictness would reject
  // schemas that are valid JSON Schema, so it stays off. Patterns (pattern, patternProperties,
  // and the additionalProperties they imply) run on a linear-time engine: the schema is the
  // module author's, the value the operator's, and neither may block the runtime.
  ajv ??= addStandardFormats(
    createAjv({
      allErrors: true,
      verbose: true,
      useDefaults: true,
      strictSchema: true,
      strictNumbers: true,
      strictTypes: false,
      strictTuples: false,
      strictRequired: false,
      allowUnionTypes: true,
      logger: false,
      code: { regExp: linearRegExp },
    }),
  );
  return ajv;
}

/**
 * Compiles a module's `configSchema` (JSON Schema draft-07) with defaults applied on validation.
 * Results are cached by the schema's JSON text. Throws an Error saying why the schema is invalid,
 * naming the pattern when a regex is one the linear-time engine refuses (see linearRegExp.ts).
 */
export function compileConfigSchema(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let entry = cache.get(key);
  if (entry === undefined) {
    // A root $id would make two versions of one module clash in ajv's schema registry.
    const { $id: _id, ...anonymous } = schema;
    try {
      entry = configAjv().compile(anonymous);
    } catch (err) {
      entry = err instanceof Error ? err : new Error(String(err));
    }
    cache.set(key, entry);
  }
  if (entry instanceof Error) throw entry;
  return entry;
}
