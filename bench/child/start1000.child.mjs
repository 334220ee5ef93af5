/**
 * One cold sample of benchmark 2, in a fresh process. Modes:
 *   code-chipset <graph.json> <dataDir>   register the modules in code, then time runtime.start()
 *   code-avvio <graph.json> <flat|levels> avvio: app.use() per plugin, then app.ready()
 *   files-chipset <dataDir>               createRuntime() on a data dir holding the modules, time start()
 *   files-raw <entries.json> <sequential|levels>  import() + init/start of every file in topological order
 */
import { readFileSync } from "node:fs";
import { childMain } from "../lib/child.mjs";
import { avvioBoot, chipsetCodeBoot, rawFilesBoot } from "../lib/boot.mjs";

const [mode, a, b] = process.argv.slice(2);
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));

async function main() {
  const t0 = performance.now();
  if (mode === "code-chipset") {
    const chipset = await import("chipset");
    const importMs = performance.now() - t0;
    return { importMs, ...(await chipsetCodeBoot(chipset, readJson(a), b)) };
  }
  if (mode === "code-avvio") {
    const { default: avvio } = await import("avvio");
    const importMs = performance.now() - t0;
    return { importMs, ...(await avvioBoot(avvio, readJson(a), b)) };
  }
  if (mode === "files-chipset") {
    const { createRuntime } = await import("chipset");
    const t1 = performance.now();
    const runtime = createRuntime({ dataDir: a, preload: 0 });
    const t2 = performance.now();
    const outcomes = await runtime.start();
    const t3 = performance.now();
    const ok = outcomes.filter((o) => o.ok).length;
    await runtime.close();
    return { importMs: t1 - t0, createMs: t2 - t1, startMs: t3 - t2, totalMs: t3 - t1, started: ok };
  }
  if (mode === "files-raw") {
    await import("chipset/module");
    const importMs = performance.now() - t0;
    const entries = readJson(a);
    return { importMs, createMs: 0, ...(await rawFilesBoot(entries, b)), started: entries.length };
  }
  throw new Error(`unknown mode ${mode}`);
}

childMain(main);
