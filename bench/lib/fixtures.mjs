/** Builds module directories and dependency graphs for the benchmarks, in a temp directory. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { prng } from "./stats.mjs";

/** The repository root (the chipset package). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A fresh temp directory; remove it with {@link removeDir}. */
export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `chipset-bench-${prefix}-`));
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Makes `import "chipset/module"` resolve for files under `root` (used by the raw peers, which
 * import the module files from where they were written; Chipset links its own copy in its store).
 */
export function linkChipset(root) {
  mkdirSync(join(root, "node_modules"), { recursive: true });
  symlinkSync(repoRoot, join(root, "node_modules", "chipset"), "dir");
}

/**
 * Writes one module directory `<parent>/<name>/` with a package.json (chipset manifest) and an
 * `index.js` whose body is `source` (an ES module exporting `module`). Returns the directory.
 */
export function writeModule(
  parent,
  { name, version = "1.0.0", kind = "bench", activation = "lazy", requires = {}, isolation, source },
) {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  const pkg = {
    name,
    version,
    type: "module",
    exports: "./index.js",
    chipset: { kind, activation, requires, ...(isolation === undefined ? {} : { isolation }) },
  };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(dir, "index.js"), source);
  return dir;
}

/** Source of a module with empty `init` and `start` hooks (the 1,000-module boot). */
export const EMPTY_HOOKS_SOURCE = `import { defineModule } from "chipset/module";
export const module = defineModule({ init() {}, start() {} });
`;

/**
 * A random dependency DAG of `n` modules in topological order: module i requires 1 to 3 distinct
 * earlier modules (module 0 none). Returns `[{ name, deps: [names], level }]`, where `level` is
 * the length of the longest dependency chain below the module.
 */
export function bootGraph(n, seed = 1) {
  const random = prng(seed);
  const name = (i) => `bench-m${String(i).padStart(4, "0")}`;
  const nodes = [];
  for (let i = 0; i < n; i++) {
    const want = i === 0 ? 0 : Math.min(i, 1 + Math.floor(random() * 3));
    const deps = new Set();
    while (deps.size < want) deps.add(Math.floor(random() * i));
    const depList = [...deps].sort((a, b) => a - b);
    const level = depList.length === 0 ? 0 : 1 + Math.max(...depList.map((d) => nodes[d].level));
    nodes.push({ name: name(i), deps: depList.map(name), level });
  }
  return nodes;
}

/** The nodes of {@link bootGraph} grouped by level (level 0 first). */
export function byLevel(nodes) {
  const levels = [];
  for (const node of nodes) (levels[node.level] ??= []).push(node);
  return levels;
}

/** Writes every node of a boot graph as a module directory under `parent` (eager, ^1.0.0 ranges). */
export function writeBootModules(parent, nodes) {
  return nodes.map((node) =>
    writeModule(parent, {
      name: node.name,
      activation: "eager",
      requires: Object.fromEntries(node.deps.map((d) => [d, "^1.0.0"])),
      source: EMPTY_HOOKS_SOURCE,
    }),
  );
}

/** A minimal module context for the raw peers (what a hand-written host would pass). */
export function rawContext(id, apis = new Map()) {
  const noop = () => {};
  return {
    id,
    version: "1.0.0",
    config: {},
    log: { debug: noop, info: noop, warn: noop, error: noop },
    signal: new globalThis.AbortController().signal,
    use: (dep) => apis.get(dep),
    optional: (dep) => apis.get(dep),
    onStop: noop,
  };
}
