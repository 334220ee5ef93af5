import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { ManualClock, type Clock } from "../../src/common/Clock.js";
import type { ChipsetManifest } from "../../src/vocabulary/manifest.js";
import { Registry } from "../../src/registry/Registry.js";
import { StoreLayout } from "../../src/registry/StoreLayout.js";
import type { RecoveryReport } from "../../src/registry/recoverStore.js";
import { Database } from "../../src/store/Database.js";

/** The report of a recovery that found nothing to do. */
export const NOTHING_FOUND: RecoveryReport = Object.freeze({
  applied: true,
  completed: [],
  discarded: 0,
  restored: [],
  adopted: [],
  dropped: [],
  quarantined: [],
  failed: [],
  emptied: 0,
});

/** A fresh directory under the system temp dir. */
export function tempDir(prefix = "chipset-registry-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A module source directory to write. */
export interface ModuleFixture {
  name: string;
  version?: string;
  chipset?: Partial<ChipsetManifest>;
  /** Extra files, relative path -> content. */
  files?: Record<string, string>;
  /** Body of index.js. Default: an empty ES module. */
  code?: string;
}

/** Writes a module (package.json + index.js + files) into `dir` (created) and returns `dir`. */
export function writeModule(dir: string, fixture: ModuleFixture): string {
  fs.mkdirSync(dir, { recursive: true });
  const pkg = {
    name: fixture.name,
    version: fixture.version ?? "1.0.0",
    type: "module",
    exports: "./index.js",
    chipset: { kind: "test", ...fixture.chipset },
  };
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2));
  fs.writeFileSync(path.join(dir, "index.js"), fixture.code ?? "export const module = {};\n");
  for (const [rel, content] of Object.entries(fixture.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

/** An open database and registry on `dataDir`; `close()` closes the database. */
export function openRegistry(
  dataDir: string,
  clock: Clock = new ManualClock(),
): { db: Database; registry: Registry; close: () => void } {
  const db = Database.open(dataDir);
  const registry = new Registry({ db, dataDir, clock });
  return { db, registry, close: () => db.close() };
}

/** Every path under `<dataDir>/store`, sorted (directories end in "/"). */
export function storeListing(dataDir: string): string[] {
  const root = path.join(dataDir, "store");
  const out: string[] = [];
  const visit = (dir: string, prefix: string): void => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = `${prefix}${d.name}`;
      if (d.isDirectory()) {
        out.push(`${rel}/`);
        visit(path.join(dir, d.name), `${rel}/`);
      } else out.push(rel);
    }
  };
  if (fs.existsSync(root)) visit(root, "");
  return out.sort();
}

/**
 * Asserts the registry invariant: every row's directory exists and hashes to the digest it
 * records; every installed directory has a row; no staging or trash is left over.
 */
export function expectConsistent(registry: Registry, dataDir: string): void {
  expect(registry.verify()).toEqual([]);
  const layout = new StoreLayout(dataDir);
  for (const installed of layout.installedDirs()) {
    expect(registry.get(installed.id, installed.version), `row for ${installed.dir}`).toBeDefined();
  }
  expect(layout.scratchDirs("staging")).toEqual([]);
  expect(layout.scratchDirs("trash")).toEqual([]);
}
