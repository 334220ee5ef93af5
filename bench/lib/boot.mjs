/**
 * The timed bodies of benchmark 2 (booting 1,000 modules), shared by the in-process (warm) runs
 * and the child-process (cold) samples.
 */
import { pathToFileURL } from "node:url";
import { byLevel, rawContext } from "./fixtures.mjs";
import { collect } from "./stats.mjs";

/** The package.json-shaped manifest of a boot-graph node (eager, each dependency "^1.0.0"). */
export function manifestOf(node) {
  return {
    name: node.name,
    version: "1.0.0",
    chipset: {
      kind: "bench",
      activation: "eager",
      requires: Object.fromEntries(node.deps.map((d) => [d, "^1.0.0"])),
    },
  };
}

/**
 * Chipset, modules in code: registers every node (timed as `registerMs`), collects garbage (not
 * timed, so that start does not pay for the registration's garbage), then `await runtime.start()`
 * (timed as `startMs`). Closes the runtime afterwards (not timed).
 */
export async function chipsetCodeBoot({ createRuntime, defineModule }, nodes, dataDir) {
  const runtime = createRuntime({
    dataDir,
    preload: 0,
    inlineCrashes: process.env.BENCH_INLINE_CRASHES !== "0",
  });
  const manifests = nodes.map(manifestOf);
  const definitions = nodes.map(() => defineModule({ init() {}, start() {} }));
  const t0 = performance.now();
  for (let i = 0; i < nodes.length; i++) runtime.register(manifests[i], definitions[i]);
  const registerMs = performance.now() - t0;
  collect();
  const t1 = performance.now();
  const outcomes = await runtime.start();
  const startMs = performance.now() - t1;
  const started = outcomes.filter((o) => o.ok).length;
  await runtime.close();
  if (started !== nodes.length) throw new Error(`chipset started ${started} of ${nodes.length} modules`);
  return { registerMs, startMs, totalMs: registerMs + startMs };
}

/**
 * avvio booting one plugin per node. `flat`: `app.use()` x n in topological order (avvio loads
 * plugins in registration order, so that is its dependency order). `levels`: one wrapper plugin
 * per dependency level, nesting that level's plugins (the shape of Chipset's level-by-level start).
 * `useMs` is the registration, `readyMs` is `await app.ready()`.
 */
export async function avvioBoot(avvio, nodes, shape = "flat") {
  let loaded = 0;
  const plugins = nodes.map(() => (_instance, _opts, done) => {
    loaded++;
    done();
  });
  const t0 = performance.now();
  const server = {};
  const app = avvio(server);
  if (shape === "flat") {
    for (const plugin of plugins) app.use(plugin);
  } else {
    let i = 0;
    for (const level of byLevel(nodes)) {
      const mine = plugins.slice(i, (i += level.length));
      app.use((instance, _opts, done) => {
        for (const plugin of mine) instance.use(plugin);
        done();
      });
    }
  }
  const t1 = performance.now();
  await app.ready();
  const t2 = performance.now();
  if (loaded !== nodes.length) throw new Error(`avvio loaded ${loaded} of ${nodes.length} plugins`);
  return { registerMs: t1 - t0, startMs: t2 - t1, totalMs: t2 - t0 };
}

/**
 * Raw peer for the files on disk: `import()` every entry file in topological order and call its
 * `init` and `start` hooks. `sequential`: one file after the other; `levels`: the files of one
 * dependency level imported in parallel, then their hooks.
 */
export async function rawFilesBoot(entries, shape = "sequential") {
  const t0 = performance.now();
  if (shape === "sequential") {
    for (const { id, file } of entries) {
      const { module } = await import(pathToFileURL(file).href);
      const ctx = rawContext(id);
      await module.init?.(ctx);
      await module.start?.(ctx);
    }
  } else {
    const levels = [];
    for (const entry of entries) (levels[entry.level] ??= []).push(entry);
    for (const level of levels) {
      await Promise.all(
        level.map(async ({ id, file }) => {
          const { module } = await import(pathToFileURL(file).href);
          const ctx = rawContext(id);
          await module.init?.(ctx);
          await module.start?.(ctx);
        }),
      );
    }
  }
  const t1 = performance.now();
  return { registerMs: 0, startMs: t1 - t0, totalMs: t1 - t0 };
}
