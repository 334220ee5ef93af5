import fs from "node:fs";
import path from "node:path";
import {
  MAX_PACKAGE_JSON_BYTES,
  parsePackageIdentity,
  type PackageIdentity,
} from "../common/packageIdentity.js";
import { readRegularFile } from "../common/readRegularFile.js";
import { messageOf } from "../errors/index.js";
import { packageInvalid, sourceFailed } from "./sourceErrors.js";

/**
 * The `name` and `version` of `<dir>/package.json`. Throws `CHIP_ERR_SOURCE_FAILED`
 * (`unreadable`) when `dir` is not a directory, `CHIP_ERR_PACKAGE_INVALID` (`no-manifest`) when
 * its package.json is missing, not a regular file of at most 1 MiB, or lacks a string name or version.
 */
export function readDirectoryIdentity(dir: string, source: string = dir): PackageIdentity {
  try {
    if (!fs.statSync(dir).isDirectory())
      throw Object.assign(new Error("it is not a directory"), { code: "ENOTDIR" });
  } catch (err) {
    throw sourceFailed(
      { reason: "unreadable", source, status: (err as { code?: string }).code, cause: err },
      `Cannot read the module directory ${dir} (${messageOf(err)})`,
      "Check the path: a directory source is a module's folder, with its package.json at the top.",
    );
  }
  const file = path.join(dir, "package.json");
  let identity: PackageIdentity | undefined;
  let problem = 'it has no string "name" and "version"';
  try {
    identity = parsePackageIdentity(readRegularFile(file, MAX_PACKAGE_JSON_BYTES));
  } catch (err) {
    problem = messageOf(err);
  }
  if (identity !== undefined) return identity;
  throw packageInvalid(
    { reason: "no-manifest", source, entry: "package.json" },
    `The package from ${source} has no usable package.json (${problem})`,
  );
}
