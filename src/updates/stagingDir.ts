import fs from "node:fs";
import { STORE_DIR_MODE } from "../common/copyTree.js";
import { hashEntry, walkTree } from "../common/digestTree.js";
import { createHash } from "node:crypto";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { storeFailed } from "../store/storeFailed.js";
import { packageInvalid } from "./sourceErrors.js";

/**
 * Makes the staging directory `dir` (and its missing parents), mode 0755. An existing empty
 * directory is taken as it is; anything else there is refused with `CHIP_ERR_OPTIONS_INVALID`,
 * as it would be removed if the fetch failed. A directory that cannot be made is `CHIP_ERR_STORE_FAILED`.
 */
export function makeStagingDir(dir: string): void {
  let entries: string[] | undefined;
  try {
    entries = fs.readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") entries = ["(a file)"];
    else if (code !== "ENOENT")
      throw storeFailed(`Cannot use the staging directory ${dir}`, err, { path: dir });
  }
  if (entries !== undefined && entries.length > 0) {
    throw new ChipsetError(
      ErrorCodes.OPTIONS_INVALID,
      `The staging directory ${dir} is not empty; expected a new or empty directory, which a failed fetch removes. Give a fresh path.`,
      {
        details: {
          field: "staging",
          expected: "a path that does not exist yet, or an empty directory",
          found: dir,
        },
      },
    );
  }
  try {
    fs.mkdirSync(dir, { recursive: true, mode: STORE_DIR_MODE });
  } catch (err) {
    throw storeFailed(`Cannot make the staging directory ${dir}`, err, { path: dir });
  }
}

/** Removes a staging directory and everything in it (a failed fetch leaves nothing). */
export function removeStagingDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * The tree digest of a staged package (sha256 hex, the registry's digest of an installed module)
 * and its files' total size in bytes. Walking it also resolves every link on disk: one leading
 * outside (through other links) is `CHIP_ERR_PACKAGE_INVALID` (`link-outside`), as are the size limits (`too-large`).
 */
export function stagedTree(dir: string, pkg: string, source: string): { digest: string; bytes: number } {
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    for (const entry of walkTree(dir)) {
      hashEntry(hash, entry);
      if (entry.kind === "file") bytes += entry.size;
    }
  } catch (err) {
    throw asPackageProblem(err, pkg, source);
  }
  return { digest: hash.digest("hex"), bytes };
}

/**
 * A tree refused by `walkTree` (a link leading outside, past the size limits) as
 * `CHIP_ERR_PACKAGE_INVALID`; other errors as they came.
 */
export function asPackageProblem(err: unknown, pkg: string, source: string): unknown {
  if (!(err instanceof ChipsetError) || err.code !== ErrorCodes.MANIFEST_INVALID) return err;
  const link = err.details["link"];
  const limit = err.details["limit"];
  if (typeof link !== "string" && limit === undefined) return err;
  return packageInvalid(
    {
      reason: typeof link === "string" ? "link-outside" : "too-large",
      source,
      package: pkg,
      ...(typeof link === "string" ? { entry: link } : {}),
      cause: err,
    },
    `${pkg} from ${source} cannot be used: ${err.message}`,
  );
}
