import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
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

/**
 * Makes `import "chipset/module"` resolve, for every module installed under `storeDir`, to this
 * host's own SDK: Node looks for `node_modules/chipset` in each parent of the importing file,
 * so one link at `<storeDir>/node_modules/chipset` serves them all (imports and require alike,
 * in this thread, in workers and in child processes).
 */
export function linkSdk(storeDir: string): void {
  const link = join(storeDir, "node_modules", "chipset");
  const target = packageRoot();
  try {
    if (lstatSync(link).isSymbolicLink() && resolve(dirname(link), readlinkSync(link)) === target) return;
    rmSync(link, { recursive: true, force: true });
  } catch {
    // no link yet
  }
  // Writable by its owner alone whatever the umask: a module must not replace the link.
  mkdirSync(dirname(link), { recursive: true, mode: 0o755 });
  symlinkSync(target, link, process.platform === "win32" ? "junction" : "dir");
}
