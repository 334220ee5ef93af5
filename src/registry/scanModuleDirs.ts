import fs from "node:fs";
import path from "node:path";
import { ChipsetError, ErrorCodes, messageOf } from "../errors/index.js";
import type { ModuleRecord } from "../vocabulary/manifest.js";
import type { AddOptions, Registry } from "./Registry.js";

/** What {@link scanModuleDirs} did with each module directory it found. */
export interface ScanReport {
  added: ModuleRecord[];
  replaced: ModuleRecord[];
  unchanged: ModuleRecord[];
  /** Directories that could not be registered, with the reason (usually `CHIP_ERR_MANIFEST_INVALID`). */
  rejected: Array<{ dir: string; error: ChipsetError }>;
}

/**
 * The module directories in `dirs`, as {@link scanModuleDirs} finds them: each entry that is a
 * module directory itself (it has a package.json), else its children that are (`@scope/`
 * folders descended into), in name order. `missing`: the entries that are not directories.
 */
export function findModuleDirs(dirs: readonly string[]): { found: string[]; missing: string[] } {
  const found: string[] = [];
  const missing: string[] = [];
  for (const entry of dirs) {
    const dir = path.resolve(entry);
    if (!isDirectory(dir)) missing.push(dir);
    else found.push(...(isModuleDir(dir) ? [dir] : childModuleDirs(dir)));
  }
  return { found, missing };
}

/**
 * Registers the modules found in `dirs`. Each entry is a module directory (its package.json has a
 * `chipset` field) or a directory of module directories (`@scope/` folders are descended into).
 * Unchanged modules cost a digest, not a copy; one bad module is reported and the others go on.
 */
export function scanModuleDirs(
  registry: Registry,
  dirs: readonly string[],
  options: Pick<AddOptions, "check"> = {},
): ScanReport {
  const result: ScanReport = { added: [], replaced: [], unchanged: [], rejected: [] };
  for (const entry of dirs) {
    const { found, missing } = findModuleDirs([entry]);
    for (const dir of missing) {
      result.rejected.push({
        dir,
        error: new ChipsetError(
          ErrorCodes.OPTIONS_INVALID,
          `The module directory ${dir} does not exist or is not a directory; fix "moduleDirs".`,
          { details: { field: "moduleDirs", dir } },
        ),
      });
    }
    for (const candidate of found) {
      try {
        const { record, status } = registry.add(candidate, options);
        result[status].push(record);
      } catch (err) {
        result.rejected.push({ dir: candidate, error: asChipsetError(err, candidate) });
      }
    }
  }
  return result;
}

function childModuleDirs(dir: string): string[] {
  const found: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.startsWith(".") || name === "node_modules") continue;
    const child = path.join(dir, name);
    if (!isDirectory(child)) continue;
    if (isModuleDir(child)) found.push(child);
    else if (name.startsWith("@")) {
      for (const sub of fs.readdirSync(child).sort()) {
        const scoped = path.join(child, sub);
        if (isDirectory(scoped) && isModuleDir(scoped)) found.push(scoped);
      }
    }
  }
  return found;
}

function isModuleDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, "package.json"));
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function asChipsetError(err: unknown, dir: string): ChipsetError {
  if (err instanceof ChipsetError) return err;
  return new ChipsetError(
    ErrorCodes.STORE_FAILED,
    `Cannot register the module in ${dir}: ${messageOf(err)}.`,
    { cause: err },
  );
}
