/** The module of benchmark 13 (replicas): written to disk with a manifest per contender. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inc, work } from "./replicasTask.mjs";

/** The module's source: the task functions' own source (bench/replicasTask.mjs), as its api. */
export const MODULE_SOURCE = `import { defineModule } from "chipset/module";
${work.toString()}
${inc.toString()}
export const module = defineModule({ api: { work, inc } });
`;

/**
 * Writes `<root>/<name>/` (package.json with a worker module's manifest, plus `replicas` and
 * `calls` when given, and index.js); returns the directory.
 */
export function writeReplicated(root, name, { replicas, calls } = {}) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const chipset = {
    kind: "bench",
    activation: "lazy",
    isolation: "worker",
    ...(replicas === undefined ? {} : { replicas }),
    ...(calls === undefined ? {} : { calls }),
  };
  const pkg = { name, version: "1.0.0", type: "module", exports: "./index.js", chipset };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(dir, "index.js"), MODULE_SOURCE);
  return dir;
}

/** Resolves once `count` instances of `id` run (replicas start after the first one). */
export async function running(runtime, id, count) {
  const now = () => runtime.instances().filter((i) => i.id === id && i.state === "running").length;
  while (now() < count) await new Promise((resolve) => setTimeout(resolve, 5));
}
