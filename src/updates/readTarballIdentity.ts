import fs from "node:fs";
import { list, type ReadEntry } from "tar";
import {
  MAX_PACKAGE_JSON_BYTES,
  parsePackageIdentity,
  type PackageIdentity,
} from "../common/packageIdentity.js";
import { messageOf } from "../errors/index.js";
import { packageInvalid, sourceFailed } from "./sourceErrors.js";

/**
 * The `name` and `version` of the package.json inside an npm package tarball (`package/package.json`,
 * whatever the top folder is called), read without extracting anything. Throws
 * `CHIP_ERR_SOURCE_FAILED` when the file cannot be read, `CHIP_ERR_PACKAGE_INVALID` when it is
 * not a tarball or holds no package.json with a string name and version (at most 1 MiB).
 */
export async function readTarballIdentity(file: string): Promise<PackageIdentity> {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw Object.assign(new Error(`${file} is not a file`), { code: "EISDIR" });
  } catch (err) {
    throw sourceFailed(
      { reason: "unreadable", source: file, status: (err as { code?: string }).code, cause: err },
      `Cannot read the package tarball ${file} (${messageOf(err)})`,
      "Check the path: a tarball source is a .tgz file made by `npm pack`.",
    );
  }
  let parts: Buffer[] = [];
  let size = 0;
  try {
    await list({
      file,
      strict: true,
      filter: (path) => isTopLevelManifest(path),
      onReadEntry: (entry: ReadEntry) => {
        // A later copy replaces an earlier one when extracted, so the last one counts here too.
        [parts, size] = [[], 0];
        entry.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_PACKAGE_JSON_BYTES) parts.push(chunk);
        });
      },
    });
  } catch (err) {
    throw packageInvalid(
      { reason: "not-a-tarball", source: file, cause: err },
      `${file} is not a readable package tarball (${messageOf(err)})`,
    );
  }
  const identity =
    size <= MAX_PACKAGE_JSON_BYTES ? parsePackageIdentity(Buffer.concat(parts).toString("utf8")) : undefined;
  if (identity === undefined) {
    throw packageInvalid(
      { reason: "no-manifest", source: file, entry: "package/package.json" },
      `${file} holds no package/package.json with a string "name" and "version" (of at most 1 MiB)`,
    );
  }
  return identity;
}

/** `package/package.json`, or the same under any other top folder, as npm strips the first segment. */
function isTopLevelManifest(path: string): boolean {
  const parts = path.replaceAll("\\", "/").split("/");
  return parts.length === 2 && parts[1] === "package.json";
}
