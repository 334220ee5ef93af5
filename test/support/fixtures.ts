import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChipsetManifest } from "../../src/vocabulary/manifest.js";

/** A temporary workspace: a data dir and a folder for module sources, removed by `dispose()`. */
export interface Workspace {
  root: string;
  dataDir: string;
  modulesDir: string;
  /** Writes a module directory and returns its path. */
  module(spec: ModuleSpec): string;
  dispose(): void;
}

/** A module to write: manifest fields and the body of its index.js. */
export interface ModuleSpec {
  name: string;
  version?: string;
  chipset?: Partial<ChipsetManifest>;
  /** JavaScript placed after `import { defineModule } from "chipset/module";`. Default: an empty module. */
  code?: string;
  /** Directory name under modulesDir; default `<name>-<version>`. */
  dirName?: string;
}

/**
 * Creates a workspace under the system temp dir, readable by others as a data directory made
 * by `mkdir` is (mkdtemp makes it 0700): sandboxed modules run as another user where the machine allows.
 */
export function workspace(): Workspace {
  const root = mkdtempSync(join(tmpdir(), "chipset-test-"));
  chmodSync(root, 0o755);
  const modulesDir = join(root, "modules");
  mkdirSync(modulesDir);
  return {
    root,
    dataDir: join(root, "data"),
    modulesDir,
    module(spec) {
      const version = spec.version ?? "1.0.0";
      const dir = join(modulesDir, spec.dirName ?? `${spec.name.replace("/", "__")}-${version}`);
      mkdirSync(dir, { recursive: true });
      const pkg = {
        name: spec.name,
        version,
        type: "module",
        exports: "./index.js",
        chipset: { kind: "test", ...spec.chipset },
      };
      writeFileSync(join(dir, "package.json"), JSON.stringify(pkg, null, 2));
      const code = spec.code ?? "export const module = defineModule({ api: {} });";
      writeFileSync(join(dir, "index.js"), `import { defineModule } from "chipset/module";\n${code}\n`);
      return dir;
    },
    dispose() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
