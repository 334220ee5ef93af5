import type { ChipsetManifest } from "../vocabulary/manifest.js";

type Shape =
  "string" | "number" | "boolean" | "object" | "string[]" | "strings" | "string or object" | "object[]";

// The JavaScript shape of every field of a stored manifest. Manifests were validated in full
// when added; this catches a row damaged afterwards (by hand, a disk error, another program)
// cheaply enough to run on every read, without loading the schema validator.
const FIELDS: Readonly<Record<string, Shape>> = {
  kind: "string",
  description: "string",
  keywords: "string[]",
  requires: "strings",
  optional: "strings",
  provides: "string[]",
  activation: "string or object",
  isolation: "string",
  singleton: "boolean",
  configSchema: "object",
  limits: "object",
  permissions: "object",
  restart: "object",
  calls: "object",
  update: "object",
  fallback: "string",
  timeouts: "object",
  idleUnloadMs: "number",
  triggers: "object[]",
};

/**
 * Decodes the `manifest` column of a registry row. Returns the manifest, or a sentence saying
 * what is wrong with it (not JSON, not an object, `kind` missing, a field of the wrong type).
 */
export function decodeStoredManifest(text: string): ChipsetManifest | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `its manifest is not valid JSON (${(err as Error).message})`;
  }
  if (!isRecord(value)) return "its manifest is not a JSON object";
  if (typeof value.kind !== "string" || value.kind === "") return 'its manifest has no "kind"';
  for (const [field, shape] of Object.entries(FIELDS)) {
    if (!Object.hasOwn(value, field)) continue;
    if (!fits(value[field], shape)) return `its manifest's "${field}" is not ${describe(shape)}`;
  }
  return value as unknown as ChipsetManifest;
}

function fits(value: unknown, shape: Shape): boolean {
  switch (shape) {
    case "object":
      return isRecord(value);
    case "string[]":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
    case "strings":
      return isRecord(value) && Object.values(value).every((v) => typeof v === "string");
    case "string or object":
      return typeof value === "string" || isRecord(value);
    case "object[]":
      return Array.isArray(value) && value.every(isRecord);
    default:
      return typeof value === shape;
  }
}

function describe(shape: Shape): string {
  if (shape === "string[]") return "an array of strings";
  if (shape === "strings") return "an object of strings";
  if (shape === "string or object") return "a string or an object";
  if (shape === "object[]") return "an array of objects";
  return shape === "object" ? "an object" : `a ${shape}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
