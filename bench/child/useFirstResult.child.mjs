/**
 * One cold sample of benchmark 1, in a fresh process.
 *   chipset <dataDir>        : createRuntime, then time runtime.use(app).compute(21) to its result
 *   raw <listJson>           : time import() of the 4 entry files in dependency order + init/start + compute(21)
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { childMain } from "../lib/child.mjs";
import { rawContext } from "../lib/fixtures.mjs";

const [mode, arg] = process.argv.slice(2);

async function chipset(dataDir) {
  const t0 = performance.now();
  const { createRuntime } = await import("chipset");
  const t1 = performance.now();
  const runtime = createRuntime({
    dataDir,
    preload: 0,
    inlineCrashes: process.env.BENCH_INLINE_CRASHES !== "0",
  });
  const t2 = performance.now();
  const result = await runtime.use("bench-use-app").compute(21);
  const t3 = performance.now();
  await runtime.close();
  return { mode, result, importMs: t1 - t0, createMs: t2 - t1, firstResultMs: t3 - t2, processMs: t3 };
}

async function raw(listFile) {
  /** @type {Array<{ id: string, file: string }>} entry files in dependency order, the app last */
  const entries = JSON.parse(readFileSync(listFile, "utf8"));
  const t0 = performance.now();
  // The host side of a hand-written loader has the SDK loaded already, as Chipset's host does.
  await import("chipset/module");
  const t1 = performance.now();
  const apis = new Map();
  let app;
  for (const { id, file } of entries) {
    const { module } = await import(pathToFileURL(file).href);
    const ctx = rawContext(id, apis);
    await module.init?.(ctx);
    await module.start?.(ctx);
    apis.set(id, module.api);
    app = module;
  }
  const result = await app.api.compute(21);
  const t2 = performance.now();
  return { mode, result, importMs: t1 - t0, createMs: 0, firstResultMs: t2 - t1, processMs: t2 };
}

childMain(() => (mode === "chipset" ? chipset(arg) : raw(arg)));
