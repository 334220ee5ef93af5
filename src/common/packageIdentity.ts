import path from "node:path";
import { readRegularFile } from "./readRegularFile.js";

/** The largest package.json read, in bytes (npm's own is about 4 KB). */
export const MAX_PACKAGE_JSON_BYTES = 1024 * 1024;

/** The `name` and `version` a package.json claims. */
export interface PackageIdentity {
  name: string;
  version: string;
}

/**
 * The `name` and `version` a package.json text claims, without validating anything else
 * (undefined when it is not JSON or either is not a string).
 */
export function parsePackageIdentity(text: string): PackageIdentity | undefined {
  try {
    const json = JSON.parse(text) as { name?: unknown; version?: unknown } | null;
    return typeof json?.name === "string" && typeof json.version === "string"
      ? { name: json.name, version: json.version }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `name` and `version` a module directory's package.json claims, without validating anything
 * (undefined when unreadable or absent): enough to tell whether it is already installed unchanged.
 */
export function peekPackageIdentity(dir: string): PackageIdentity | undefined {
  try {
    return parsePackageIdentity(readRegularFile(path.join(dir, "package.json"), MAX_PACKAGE_JSON_BYTES));
  } catch {
    return undefined;
  }
}
