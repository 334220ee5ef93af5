import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";

/** The root directory of this chipset package (the folder holding its package.json). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name === "chipset")
      return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new ChipsetError(
        ErrorCodes.INTERNAL,
        `chipset cannot find its own package.json above ${fileURLToPath(import.meta.url)}; reinstall chipset`,
      );
    dir = parent;
  }
}

/** The entry points a module may import from the host's chipset, by subpath, and their files under the package root. */
const ENTRIES = { ".": "index.js", "./module": "module.js", "./chaos": "chaos.js" } as const;

/**
 * The files of the SDK package at `<storeDir>/node_modules/chipset`, by name: a package.json
 * whose `exports` lead to one-line files re-exporting this host's `dist/` by absolute URL.
 */
export function sdkShimFiles(root: string = packageRoot()): Map<string, string> {
  const files = new Map<string, string>();
  const exports: Record<string, string> = {};
  for (const [subpath, file] of Object.entries(ENTRIES)) {
    exports[subpath] = `./${file}`;
    const target = pathToFileURL(join(root, "dist", file)).href;
    files.set(file, `export * from ${JSON.stringify(target)};\n`);
  }
  const pkg = { name: "chipset", private: true, type: "module", exports };
  files.set("package.json", `${JSON.stringify(pkg, null, 2)}\n`);
  return files;
}

/**
 * Makes `import "chipset/module"` resolve, for every module installed under `storeDir`, to this
 * host's own SDK: Node looks for `node_modules/chipset` in each parent of the importing file,
 * so one package at `<storeDir>/node_modules/chipset` serves them all (imports and require alike,
 * in this thread, in workers and in child processes).
 *
 * That package is a real directory of small files re-exporting `dist/` by absolute path, not a
 * link to chipset's package root: a sandboxed module must be able to read it, and Node's
 * permission model checks paths as written, so reading through a granted link reaches
 * whatever lies under its target (in a checkout, a data directory and its `chipset.db`).
 */
export function linkSdk(storeDir: string): void {
  const dir = join(storeDir, "node_modules", "chipset");
  const files = sdkShimFiles();
  if (isDirectory(dir) && [...files].every(([name, text]) => readOr(join(dir, name)) === text)) return;
  // An older layout linked the package root here: remove the link itself, never its target.
  rmSync(dir, { recursive: true, force: true });
  // Writable by its owner alone whatever the umask: a module must not replace the SDK.
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const [name, text] of files) {
    // Another process may be writing the same files: each appears whole, by a rename.
    const temp = join(dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(temp, text, { mode: 0o644 });
    renameSync(temp, join(dir, name));
  }
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readOr(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
