import type { ValidateFunction } from "ajv";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { CallsConfig } from "../vocabulary/calls.js";
import { createAjv } from "./createAjv.js";
import { describeSchemaErrors } from "./describeSchemaErrors.js";
import { addManifestVocabulary, callsSchema } from "./manifestSchema.js";

let validator: ValidateFunction | undefined;

/**
 * Validates call policies given at run time against the manifest's `calls` schema. Throws
 * `CHIP_ERR_POLICY_INVALID` naming `where` (e.g. `runtime.policies.set("codec")`), the field,
 * what was expected and what was found.
 */
export function validateCallsConfig(value: unknown, where: string): CallsConfig {
  validator ??= addManifestVocabulary(
    createAjv({ allErrors: true, verbose: true, strict: true, logger: false }),
  ).compile(callsSchema);
  if (validator(value)) return structuredClone(value as CallsConfig);
  const problems = describeSchemaErrors(validator.errors ?? [], value);
  const [first] = problems;
  const field = first?.field ? `calls.${first.field}` : "calls";
  throw new ChipsetError(
    ErrorCodes.POLICY_INVALID,
    `Invalid call policies in ${where}: ${first?.message.replace(/^"([^"]*)"/, `"${field}"`) ?? "not valid"}; nothing was changed`,
    { details: { where, field, expected: first?.expected, found: first?.found, errors: problems } },
  );
}
