import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { create } from "tar";
import { expect } from "vitest";
import { ChipsetError } from "../../src/errors/index.js";

/** A fresh directory under the system temp dir, for one test file. */
export function tempDir(prefix = "chipset-updates-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes a module directory `<root>/<name>-<version>` (package.json with a chipset field, index.js) and returns it. */
export function writeModule(
  root: string,
  name: string,
  version: string,
  files: Record<string, string> = {},
): string {
  const dir = path.join(root, `${name.replace("/", "__")}-${version}`);
  fs.mkdirSync(dir, { recursive: true });
  const pkg = { name, version, type: "module", exports: "./index.js", chipset: { kind: "test" } };
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2));
  fs.writeFileSync(path.join(dir, "index.js"), `export const version = ${JSON.stringify(version)};\n`);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

/** Packs `dir` as `npm pack` lays a tarball out (everything under `package/`, gzipped) into `file`. */
export async function packModule(dir: string, file: string): Promise<string> {
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-pack-"));
  try {
    fs.cpSync(dir, path.join(stage, "package"), { recursive: true, verbatimSymlinks: true });
    await create({ gzip: true, file, cwd: stage, portable: true }, ["package"]);
    return file;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/** The ChipsetError `work` rejects with (the test fails when it resolves or rejects with anything else). */
export async function refusal(work: Promise<unknown>): Promise<ChipsetError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChipsetError);
  return err as ChipsetError;
}
