import fs from "node:fs";
import path from "node:path";
import { ChipsetError, ErrorCodes, messageOf } from "../errors/index.js";
import type { PackageManifest } from "../vocabulary/manifest.js";
import { renderValue } from "../common/renderValue.js";
import { MAX_PACKAGE_JSON_BYTES } from "../common/packageIdentity.js";
import { readRegularFile } from "../common/readRegularFile.js";
import { validatePackageManifest } from "./validateManifest.js";
import { wasmEntryProblem } from "./wasmEntryProblem.js";

/** A module directory's validated package.json and its resolved entry file. */
export interface PackageInfo {
  /** Absolute module directory. */
  dir: string;
  /** Absolute path of the package.json that was read. */
  file: string;
  manifest: PackageManifest;
  /** Entry file relative to `dir`, with "/" separators and no leading "./". */
  entry: string;
}

// Which condition of an `exports` conditions object Chipset loads, in order of preference.
const CONDITIONS = ["import", "default", "node"] as const;

/**
 * Reads and validates `<dir>/package.json` and resolves the entry file: `exports` (a string, or
 * `exports["."]` preferring the "import", "default", then "node" condition), else `main`, else
 * `index.js`. Throws `CHIP_ERR_MANIFEST_INVALID` naming the file when anything is wrong, including
 * a WebAssembly entry its manifest does not fit (see wasmEntryProblem.ts).
 */
export function readPackageManifest(dir: string): PackageInfo {
  const root = path.resolve(dir);
  const file = path.join(root, "package.json");
  let text: string;
  try {
    // A link, FIFO or device must not be read: a link to /etc/shadow would print it in the JSON error.
    text = readRegularFile(file, MAX_PACKAGE_JSON_BYTES);
  } catch (err) {
    throw fail(
      file,
      "",
      'a package.json with a "chipset" field',
      `Cannot read ${file} (${messageOf(err)}). A module directory needs a package.json, a regular file of at most 1 MiB, with a "chipset" field.`,
      err,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw fail(
      file,
      "",
      "valid JSON",
      `Invalid module manifest ${file}: it is not valid JSON (${messageOf(err)}).`,
      err,
    );
  }
  const manifest = validatePackageManifest(json, file);
  const entry = resolveEntry(root, file, manifest);
  const wasm = wasmEntryProblem(manifest, entry);
  if (wasm !== undefined) {
    throw fail(file, wasm.field, wasm.expected, `Invalid module manifest ${file}: ${wasm.message}.`);
  }
  return { dir: root, file, manifest, entry };
}

/** The entry file of a validated package, relative to `dir`; throws when it does not exist. */
export function resolveEntry(dir: string, file: string, manifest: PackageManifest): string {
  if (manifest.exports !== undefined && manifest.exports !== null) {
    const target = exportsTarget(manifest.exports, file, 0);
    const expected =
      'an entry file such as "./dist/index.js" (a string, or an "import", "default" or "node" condition under ".")';
    if (target === undefined) {
      throw fail(
        file,
        "exports",
        expected,
        `Invalid module manifest ${file}: "exports" names no entry file; expected ${expected}, found ${renderValue(manifest.exports)}.`,
      );
    }
    return existingFile(dir, file, "exports", target, [target]);
  }
  if (manifest.main !== undefined) {
    // CommonJS lookup rules for "main": exact, then with ".js", then a directory's index.js.
    const m = manifest.main;
    return existingFile(dir, file, "main", m, [m, `${m}.js`, `${m}/index.js`]);
  }
  return existingFile(dir, file, "main", "index.js", ["index.js"]);
}

/** How deep `exports` may nest arrays and conditions (Node's own packages use two or three levels). */
const MAX_EXPORTS_DEPTH = 32;

function exportsTarget(value: unknown, file: string, depth: number): string | undefined {
  if (typeof value === "string") return value;
  if (depth >= MAX_EXPORTS_DEPTH) {
    throw fail(
      file,
      "exports",
      `"exports" nested at most ${MAX_EXPORTS_DEPTH} levels deep`,
      `Invalid module manifest ${file}: "exports" nests arrays or conditions more than ${MAX_EXPORTS_DEPTH} levels deep; name the entry file with at most a few levels, such as { ".": { "import": "./index.js" } }.`,
    );
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      const target = exportsTarget(item, file, depth + 1);
      if (target !== undefined) return target;
    }
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // `{ ".": ..., "./sub": ... }` is a subpath map; otherwise the object is "."'s conditions.
  if (keys.some((k) => k.startsWith("."))) return exportsTarget(record["."], file, depth + 1);
  for (const condition of CONDITIONS) {
    if (Object.hasOwn(record, condition)) {
      const target = exportsTarget(record[condition], file, depth + 1);
      if (target !== undefined) return target;
    }
  }
  return undefined;
}

function existingFile(
  dir: string,
  file: string,
  field: string,
  declared: string,
  candidates: readonly string[],
): string {
  for (const candidate of candidates) {
    const absolute = path.resolve(dir, candidate);
    const relative = path.relative(dir, absolute);
    if (
      relative === "" ||
      relative === ".." ||
      relative.startsWith(`..${path.sep}`) ||
      path.isAbsolute(relative) ||
      path.isAbsolute(candidate)
    ) {
      const expected = "a path inside the module directory";
      throw fail(
        file,
        field,
        expected,
        `Invalid module manifest ${file}: "${field}" points outside the module directory; expected ${expected}, found ${renderValue(declared)}.`,
      );
    }
    if (isFile(absolute)) return relative.split(path.sep).join("/");
  }
  const expected = "the path of an existing entry file";
  throw fail(
    file,
    field,
    expected,
    `Invalid module manifest ${file}: the entry file ${path.resolve(dir, declared)} (from "${field}") does not exist; ` +
      "build the module or fix the path.",
  );
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function fail(file: string, field: string, expected: string, message: string, cause?: unknown): ChipsetError {
  return new ChipsetError(ErrorCodes.MANIFEST_INVALID, message, {
    ...(cause === undefined ? {} : { cause }),
    details: { file, field, expected, errors: [{ field, expected, message }] },
  });
}
