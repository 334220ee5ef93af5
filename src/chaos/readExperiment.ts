import { readFileSync } from "node:fs";
import { extname } from "node:path";
import type { ValidateFunction } from "ajv";
import { parse as parseYaml } from "yaml";
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { createAjv } from "../registry/createAjv.js";
import { describeSchemaErrors } from "../registry/describeSchemaErrors.js";
import { addManifestVocabulary } from "../registry/manifestSchema.js";
import type { Experiment } from "./Experiment.js";
import { experimentSchema } from "./experimentSchema.js";

let validator: ValidateFunction | undefined;

/**
 * Reads an experiment file: YAML for `.yaml`/`.yml`, JSON otherwise. Throws
 * `CHIP_ERR_EXPERIMENT_INVALID` naming the file, the field and what was expected.
 */
export function readExperiment(file: string): Experiment {
  let textContent: string;
  try {
    textContent = readFileSync(file, "utf8");
  } catch (err) {
    throw invalid(file, `it cannot be read (${messageOf(err)})`, {});
  }
  let json: unknown;
  try {
    const ext = extname(file).toLowerCase();
    json = ext === ".yaml" || ext === ".yml" ? parseYaml(textContent) : JSON.parse(textContent);
  } catch (err) {
    throw invalid(file, `it is not valid ${/\.ya?ml$/i.test(file) ? "YAML" : "JSON"}: ${messageOf(err)}`, {});
  }
  return validateExperiment(json, file);
}

/** Validates a parsed experiment; `where` names it in errors. */
export function validateExperiment(json: unknown, where: string): Experiment {
  validator ??= addManifestVocabulary(
    createAjv({ allErrors: true, verbose: true, strict: false, logger: false }),
  ).compile(experimentSchema);
  if (!validator(json)) {
    const problems = describeSchemaErrors(validator.errors ?? [], json);
    const first = problems[0];
    throw invalid(where, first?.message ?? "it does not match the experiment schema", {
      field: first?.field,
      expected: first?.expected,
      found: first?.found,
      errors: problems,
    });
  }
  const experiment = json as Experiment;
  experiment.faults.forEach((f, i) => {
    if (f.startMs !== undefined && f.endMs !== undefined && f.endMs < f.startMs)
      throw invalid(where, `"faults.${i}.endMs" (${f.endMs}) is before its startMs (${f.startMs})`, {
        field: `faults.${i}.endMs`,
      });
  });
  return experiment;
}

function invalid(where: string, why: string, details: Record<string, unknown>): ChipsetError {
  return new ChipsetError(
    ErrorCodes.EXPERIMENT_INVALID,
    `Invalid experiment ${where}: ${why}. Fix the file and run it again (docs/chaos.md has the format).`,
    { details: { file: where, ...details } },
  );
}
