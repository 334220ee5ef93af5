import { closed } from "./schemaParts.js";

/**
 * The JSON Schema of a module's `placement` (the manifest's `chipset.placement` and the config
 * file's `placement.<id>`; see docs/dispatch.md, "Placement across nodes").
 */

/** A node label's name or value: what `chipset start --labels zone=a` accepts. */
export const LABEL_PATTERN = "^[A-Za-z0-9_-]+$";
/** Longest label name or value, in characters. */
export const MAX_LABEL_LENGTH = 64;

const EXAMPLE = '{ "nodes": { "zone": ["a", "b"] }, "spread": true }';

/** `chipset.placement`, and one entry of the config file's `placement`. */
export const placementSchema = closed(`an object such as ${EXAMPLE}`, {
  nodes: {
    type: "object",
    maxProperties: 32,
    expected:
      'an object mapping node label names to the values a node may have, such as { "zone": ["a", "b"] }',
    propertyNames: {
      pattern: LABEL_PATTERN,
      maxLength: MAX_LABEL_LENGTH,
      expected: `a label name such as "zone": letters, digits, _ and -, at most ${MAX_LABEL_LENGTH} characters`,
    },
    additionalProperties: {
      type: "array",
      minItems: 1,
      maxItems: 64,
      uniqueItems: true,
      expected: 'a non-empty array of the label values a node may have, such as ["a", "b"]',
      items: {
        type: "string",
        pattern: LABEL_PATTERN,
        maxLength: MAX_LABEL_LENGTH,
        expected: `a label value such as "a": letters, digits, _ and -, at most ${MAX_LABEL_LENGTH} characters`,
      },
    },
  },
  spread: {
    type: "boolean",
    expected: "true (each replica on a different node while there are enough) or false (the default)",
  },
});

/** The config file's `placement`: module id -> its placement, over the manifest's. */
export const placementByModuleSchema = {
  type: "object",
  expected: `an object mapping module ids to their placement, such as { "video-player": ${EXAMPLE} }`,
  propertyNames: { format: "npm-name", expected: "a module id (an npm package name)" },
  additionalProperties: placementSchema,
} as const;
