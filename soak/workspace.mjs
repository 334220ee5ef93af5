import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where modules run (docs/isolation.md); modules are dealt to them in turn. */
export const HOSTS = ["inline", "worker", "process"];

/**
 * `limits.memoryMb` of limited modules: small, so filling it takes a fraction of a second, but
 * above what an idle child process holds (its RSS is checked against the same number). A
 * worker's is its heap alone: at 64 MB, filling it and V8's last collections before giving up
 * took longer than the hang timeout on a 2-core machine with eight busy threads, and the
 * watchdog ended it as hung before its heap was exhausted.
 */
const MEMORY_MB = { worker: 32, process: 96 };
const REACTIONS = ["continue", "restart", "stop"];
const MODULE_SOURCE = new URL("./module/index.js", import.meta.url);

/**
 * The soak's modules, `count` of them, dealt round-robin to the hosts (`inline-0`, `worker-0`,
 * `process-0`, `inline-1`, ...). Two in three isolated modules get `limits.memoryMb` (heap and
 * memory crashes need it; they start cold), the others come from the warm pool. Every fourth
 * module requires the one two places before it (on another host), with each `onDependencyCrash`
 * reaction in turn; every fifth names the one before it as its `fallback`.
 */
export function moduleSpecs(count) {
  const specs = [];
  for (let i = 0; i < count; i++) {
    const host = HOSTS[i % HOSTS.length];
    const rank = Math.floor(i / HOSTS.length);
    const spec = { id: `${host}-${rank}`, host };
    if (host !== "inline" && rank % 3 !== 2) spec.memoryMb = MEMORY_MB[host];
    if (i % 4 === 3) {
      spec.dependency = specs[i - 2].id;
      spec.reaction = REACTIONS[((i - 3) / 4) % REACTIONS.length];
    }
    if (i % 5 === 4) spec.fallback = specs[i - 1].id;
    specs.push(spec);
  }
  return specs;
}

/**
 * Writes one module directory per spec under a new temp directory, all with the same code.
 * @returns the paths, each module's configuration (its dependency, for `work`) and `dispose()`.
 */
export function writeWorkspace(specs) {
  const root = mkdtempSync(join(tmpdir(), "chipset-soak-"));
  const modulesDir = join(root, "modules");
  const config = {};
  for (const spec of specs) {
    const dir = join(modulesDir, spec.id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify(packageJson(spec), null, 2));
    copyFileSync(MODULE_SOURCE, join(dir, "index.js"));
    if (spec.dependency) config[spec.id] = { dependency: spec.dependency };
  }
  return {
    dataDir: join(root, "data"),
    modulesDir,
    config,
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

function packageJson(spec) {
  return {
    name: spec.id,
    version: "1.0.0",
    type: "module",
    exports: "./index.js",
    chipset: {
      kind: "soak",
      isolation: spec.host,
      limits: spec.memoryMb ? { memoryMb: spec.memoryMb } : undefined,
      requires: spec.dependency ? { [spec.dependency]: "^1.0.0" } : undefined,
      restart: spec.reaction ? { onDependencyCrash: spec.reaction } : undefined,
      fallback: spec.fallback,
    },
  };
}
