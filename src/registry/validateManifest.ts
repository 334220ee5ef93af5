import type { ValidateFunction } from "ajv";
import { createAjv } from "./createAjv.js";
import { ChipsetError, ErrorCodes, messageOf } from "../errors/index.js";
import type { PackageManifest } from "../vocabulary/manifest.js";
import { compileConfigSchema } from "./compileConfigSchema.js";
import { renderValue } from "../common/renderValue.js";
import { describeSchemaErrors, type SchemaProblem } from "./describeSchemaErrors.js";
import { addManifestVocabulary, manifestSchema } from "./manifestSchema.js";
import { probeProblems } from "./probeProblems.js";
import { triggerProblems } from "./triggerProblems.js";
import { replicaProblems } from "./replicaSchemas.js";

// Compiled once per process on first use (a pure memo; see compileConfigSchema.ts).
let validator: ValidateFunction | undefined;

function manifestValidator(): ValidateFunction {
  validator ??= addManifestVocabulary(
    createAjv({ allErrors: true, verbose: true, strict: true, logger: false }),
  ).compile(manifestSchema);
  return validator;
}

/**
 * Validates a parsed package.json against the manifest schema (and compiles its `configSchema`).
 * Throws `CHIP_ERR_MANIFEST_INVALID` naming `file`, the first bad field, what was expected and what
 * was found; `details` = `{ file, field, expected, found, errors }` with every problem.
 */
export function validatePackageManifest(json: unknown, file: string): PackageManifest {
  const validate = manifestValidator();
  const problems: SchemaProblem[] = validate(json) ? [] : describeSchemaErrors(validate.errors ?? [], json);
  const configSchema = chipsetOf(json)?.configSchema;
  if (isRecord(configSchema) && !problems.some((p) => p.field.startsWith("chipset.configSchema"))) {
    const problem = configSchemaProblem(configSchema);
    if (problem) problems.push(problem);
  }
  if (!problems.some((p) => p.field.startsWith("chipset.probes")))
    problems.push(...probeProblems(chipsetOf(json)?.probes));
  if (!problems.some((p) => p.field.startsWith("chipset.triggers")))
    problems.push(...triggerProblems(chipsetOf(json)?.triggers));
  if (!problems.some((p) => p.field.startsWith("chipset.replicas") || p.field === "chipset.isolation"))
    problems.push(...replicaProblems(chipsetOf(json)));
  for (const p of problems) {
    if (p.field === "chipset" && p.found === "nothing")
      p.message = `"chipset" is missing, so this package is not a Chipset module; expected ${p.expected}`;
  }
  if (problems.length > 0) throw manifestError(file, problems, moduleName(json));

  const pkg = json as PackageManifest;
  return {
    name: pkg.name,
    version: pkg.version,
    ...(pkg.type === undefined ? {} : { type: pkg.type }),
    ...(pkg.main === undefined ? {} : { main: pkg.main }),
    ...(pkg.exports === undefined ? {} : { exports: pkg.exports }),
    chipset: structuredClone(pkg.chipset),
  };
}

/** Builds the `CHIP_ERR_MANIFEST_INVALID` error for `problems` (the first one leads the message). */
export function manifestError(
  file: string,
  problems: readonly SchemaProblem[],
  module?: string,
): ChipsetError {
  const [first, ...rest] = problems as [SchemaProblem, ...SchemaProblem[]];
  const more =
    rest.length === 0
      ? ""
      : ` (${rest.length} more problem${rest.length === 1 ? "" : "s"}: ${rest.map((p) => p.message).join("; ")})`;
  return new ChipsetError(
    ErrorCodes.MANIFEST_INVALID,
    `Invalid module manifest ${file}: ${first.message}${more}. Fix package.json and add the module again.`,
    {
      ...(module === undefined ? {} : { module }),
      details: { file, field: first.field, expected: first.expected, found: first.found, errors: problems },
    },
  );
}

function configSchemaProblem(schema: Record<string, unknown>): SchemaProblem | undefined {
  try {
    compileConfigSchema(schema);
    return undefined;
  } catch (err) {
    const expected = "a valid JSON Schema (draft-07) that ajv can compile";
    return {
      field: "chipset.configSchema",
      expected,
      found: renderValue(schema),
      message: `"chipset.configSchema" is not a usable JSON Schema (${messageOf(err)}); expected ${expected}`,
    };
  }
}

function chipsetOf(json: unknown): Record<string, unknown> | undefined {
  const chipset = isRecord(json) ? json.chipset : undefined;
  return isRecord(chipset) ? chipset : undefined;
}

function moduleName(json: unknown): string | undefined {
  return isRecord(json) && typeof json.name === "string" ? json.name : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
