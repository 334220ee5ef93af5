import { fromBareData, isBareData, toBareData } from "../common/bareData.js";
import { ChipsetError, ErrorCodes, messageOf } from "../errors/index.js";
import { compileConfigSchema } from "./compileConfigSchema.js";
import { describeSchemaErrors } from "./describeSchemaErrors.js";

/** Object defaults nested in object defaults deeper than this keep Object's members in view. */
const MAX_DEFAULT_PASSES = 8;

/**
 * Validates a module's configuration against its `configSchema` and returns a copy with the
 * schema's defaults applied (`undefined` config counts as `{}`). Throws `CHIP_ERR_CONFIG_INVALID`
 * naming the module, the field, what was expected and what was found (`details.errors`: all).
 */
export function validateConfig<T = unknown>(
  schema: Record<string, unknown>,
  config: unknown,
  moduleId: string,
): T {
  let validate;
  try {
    validate = compileConfigSchema(schema);
  } catch (err) {
    throw new ChipsetError(
      ErrorCodes.MANIFEST_INVALID,
      `Module "${moduleId}" has an unusable configSchema (${messageOf(err)}). Fix "chipset.configSchema" in its package.json.`,
      { cause: err, module: moduleId, details: { field: "chipset.configSchema" } },
    );
  }
  let data: unknown;
  let valid: boolean;
  try {
    // Checked as bare data (no prototypes): ajv reads `data[key]` for the schema's property
    // names, and a schema naming "constructor" or "toString" found Object's members in every
    // config. The copy also proves the config is plain data.
    let bare = toBareData(config === undefined ? {} : structuredClone(config));
    valid = validate(bare);
    // A default that is an object arrives as an ordinary one: checked again once bare, so that
    // its own properties' defaults and checks see no prototype either (one level per pass).
    for (let pass = 0; pass < MAX_DEFAULT_PASSES && !isBareData(bare); pass++) {
      bare = toBareData(bare);
      valid = validate(bare);
    }
    data = fromBareData(bare);
  } catch (err) {
    const why =
      err instanceof RangeError
        ? "it is nested too deeply to be copied and checked"
        : `it must be plain data (JSON-like), but ${messageOf(err)}`;
    throw new ChipsetError(
      ErrorCodes.CONFIG_INVALID,
      `Invalid configuration for module "${moduleId}": ${why}. ` +
        `Fix modules["${moduleId}"] in chipset.config.json (or the config passed in code).`,
      { cause: err, module: moduleId, details: { field: "" } },
    );
  }
  if (valid) return data as T;

  const problems = describeSchemaErrors(validate.errors ?? [], data, schema);
  const [first, ...rest] = problems;
  const field = first?.field ?? "";
  const more = rest.length === 0 ? "" : ` (${rest.length} more: ${rest.map((p) => p.message).join("; ")})`;
  throw new ChipsetError(
    ErrorCodes.CONFIG_INVALID,
    `Invalid configuration for module "${moduleId}": ${first?.message ?? "it does not match the module's configSchema"}${more}. ` +
      `Fix modules["${moduleId}"] in chipset.config.json (or the config passed in code).`,
    {
      module: moduleId,
      details: { field, expected: first?.expected, found: first?.found, errors: problems },
    },
  );
}
